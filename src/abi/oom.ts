// include/uapi/linux/oom.h: the range of /proc/PID/oom_score_adj.
export const OOM_SCORE_ADJ_MIN = -1000;
export const OOM_SCORE_ADJ_MAX = 1000;
