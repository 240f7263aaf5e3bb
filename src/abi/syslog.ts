// syslog(2) actions (include/linux/syslog.h) and printk log levels
// (include/linux/kern_levels.h).

export const SYSLOG_ACTION_CLOSE = 0;
export const SYSLOG_ACTION_OPEN = 1;
export const SYSLOG_ACTION_READ = 2;
export const SYSLOG_ACTION_READ_ALL = 3;
export const SYSLOG_ACTION_READ_CLEAR = 4;
export const SYSLOG_ACTION_CLEAR = 5;
export const SYSLOG_ACTION_CONSOLE_OFF = 6;
export const SYSLOG_ACTION_CONSOLE_ON = 7;
export const SYSLOG_ACTION_CONSOLE_LEVEL = 8;
export const SYSLOG_ACTION_SIZE_UNREAD = 9;
export const SYSLOG_ACTION_SIZE_BUFFER = 10;

export const LOGLEVEL_EMERG = 0;
export const LOGLEVEL_ALERT = 1;
export const LOGLEVEL_CRIT = 2;
export const LOGLEVEL_ERR = 3;
export const LOGLEVEL_WARNING = 4;
export const LOGLEVEL_NOTICE = 5;
export const LOGLEVEL_INFO = 6;
export const LOGLEVEL_DEBUG = 7;

// CONFIG_LOG_BUF_SHIFT=17: the log buffer's size.
export const LOG_BUF_LEN = 1 << 17;

// Syslog facilities (include/linux/syslog.h's callers; <syslog.h>): the
// kernel's own records are LOG_KERN, what a program writes to /dev/kmsg is
// LOG_USER unless its "<N>" prefix names another.
export const LOG_KERN = 0;
export const LOG_USER = 1;
// A record's level when a /dev/kmsg write names none (CONFIG_MESSAGE_LOGLEVEL_DEFAULT).
export const MESSAGE_LOGLEVEL_DEFAULT = LOGLEVEL_WARNING;
// The longest write /dev/kmsg takes (kernel/printk/internal.h's PRINTKRB_RECORD_MAX).
export const PRINTKRB_RECORD_MAX = 1024;
// A /dev/kmsg file's write rate limit (include/linux/ratelimit_types.h's
// defaults: 10 records every 5 s, for printk.devkmsg=ratelimit, the default).
export const DEFAULT_RATELIMIT_INTERVAL_NS = 5e9;
export const DEFAULT_RATELIMIT_BURST = 10;
