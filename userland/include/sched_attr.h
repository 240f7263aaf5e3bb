/* sched_attr.h - struct sched_attr for sched_setattr(2)/sched_getattr(2),
 * with the field names of Linux's uapi <linux/sched/types.h>. That header
 * also defines struct sched_param and cannot be included after glibc's
 * <sched.h>, and glibc before 2.41 has no struct sched_attr of its own. */
#ifndef KT_SCHED_ATTR_H
#define KT_SCHED_ATTR_H
#include <stdint.h>

struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

#endif
