// The release Ghost reports (uname, /proc/sys/kernel/osrelease, the boot
// banner): the Linux version whose behaviour it follows.

export const UTS_RELEASE = "6.15.0-ghost";
export const UTS_VERSION = "#1 SMP PREEMPT_DYNAMIC Ghost";
