// Loads every syscall family so the table is complete.
import "./sys_file.js";
import "./sys_fs.js";
import "./sys_mm.js";
import "./sys_info.js";
import "./sys_time.js";
import "./sys_signal.js";
import "./sys_proc.js";
import "./sys_clone.js";
import "./sys_cred.js";
import "./sys_futex.js";
import "./sys_timer.js";
import "./sys_fsmeta.js";
import "./sys_poll.js";
import "./sys_mount.js";
import "./sys_fsextra.js";
import "./sys_system.js";
import "./sys_sched.js";
