// I/O priorities (include/uapi/linux/ioprio.h).

export const IOPRIO_CLASS_SHIFT = 13;
export const IOPRIO_PRIO_MASK = (1 << IOPRIO_CLASS_SHIFT) - 1;
export const IOPRIO_CLASS_NONE = 0;
export const IOPRIO_CLASS_RT = 1;
export const IOPRIO_CLASS_BE = 2;
export const IOPRIO_CLASS_IDLE = 3;
export const IOPRIO_NR_LEVELS = 8;
export const IOPRIO_WHO_PROCESS = 1;
export const IOPRIO_WHO_PGRP = 2;
export const IOPRIO_WHO_USER = 3;
export const IOPRIO_PRIO_VALUE = (cls: number, data: number): number => (cls << IOPRIO_CLASS_SHIFT) | data;
