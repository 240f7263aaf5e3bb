/*
 * fuzz.c - Ghost's syscall fuzzer, the guest half (scripts/fuzz.mjs is the
 * host half: watchdog, RSS sampler, oops scan, shrinker).
 *
 *   fuzz run SEED FIRST NBATCHES BATCHSIZE   random syscalls, one child per batch
 *   fuzz replay BATCHSEED FILE               the calls listed in FILE ("nr a0..a5" in hex), one child
 *   fuzz elf SEED FIRST N                    exec N mutated copies of a minimal static ELF
 *   fuzz struct KINDS SEED FIRST NBATCHES BATCHSIZE
 *                                            structured ops (sfuzz.h): KINDS is "all" or a
 *                                            comma list of nl,sock,cmsg,ioctl,sig,ptrace,prctl,raw
 *
 * Each batch runs in a child of its own (damage stays there) whose world
 * (fuzz.h) comes from the batch's seed. Before each syscall the child writes
 * "S nr a0 a1 a2 a3 a4 a5" (hex) to fd FZ_LOGFD, the fuzzer's stdout, so the
 * driver always knows the syscall in flight; the parent writes "B index pid
 * seed" when a batch starts and "E index status" when it ends, "D calls" at
 * the end. A batch that outlives its time is killed (SIGKILL) by the parent.
 *
 * Syscalls that would end the run in an uninteresting way are handled
 * deliberately: exit/exit_group, clone/clone3, execve/execveat, reboot and
 * the RT scheduling calls are never issued (a SCHED_FIFO child could starve
 * its parent on one hart); ptrace is never PTRACE_TRACEME (the fuzzer would
 * trace its batch) and acts half the time on a child of the batch's own; mount, umount2 and pivot_root are not issued
 * either (their damage would outlive the batch); rt_sigreturn only one time in
 * 16 (a garbage frame ends the batch); every pid argument that
 * names the parent, its group or "all processes" (-1) is replaced by the
 * child's own pid; no argument may name the log descriptor.
 */
#include "fuzz.h"
#include "sfuzz.h"
#include <sys/resource.h>
#include <sys/wait.h>

#define NR_MAX 463
#define BATCH_MS 3000

static pid_t parent, child;
static uint64_t calls;


/* ---- arguments ---- */

static const uint64_t bad_ptrs[] = {
    0, 16, 4095, (uint64_t)(uintptr_t)FZ_GUARD, 0x50000000, 0xffffffc000000000ULL, 0x7ffffffff000ULL,
    0x800000000000ULL, 0xffffffffffffffffULL, 0x20000000000001ULL, 0x8000000000000000ULL,
};

static uint64_t gen_arg(void)
{
    uint64_t r = fz_rand(), x = r >> 8;
    switch (r % 13) {
    case 0: case 1: return fz_nfds ? (uint64_t)fz_fds[x % fz_nfds] : 3;
    case 2: return x % 32;
    case 3: case 4: return fz_edges[x % FZ_NEDGES];
    case 5: return (uint64_t)(uintptr_t)FZ_ARENA + x % FZ_ARENA_SIZE;
    case 6: return (uint64_t)(uintptr_t)FZ_ARENA + (x % (FZ_ARENA_SIZE / 4096)) * 4096;
    case 7: return (uint64_t)(uintptr_t)(FZ_PATHS + 256 * (x % (FZ_NPATHS + 1)));
    case 8: return (uint64_t)(uintptr_t)FZ_GUARD - 1 - x % 64;
    case 9: return bad_ptrs[x % (sizeof bad_ptrs / sizeof bad_ptrs[0])];
    case 10: return -(x % 32);
    case 11: return 1ULL << (x % 64);
    default: return fz_rand();
    }
}

static int pid_syscall(long nr)
{
    switch (nr) {
    case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
    case SYS_ptrace: case SYS_process_vm_readv: case SYS_process_vm_writev: case SYS_prlimit64: case SYS_kcmp:
    case SYS_setpgid: case SYS_pidfd_open: case SYS_setpriority: case SYS_ioprio_set: case SYS_sched_setaffinity:
    case SYS_migrate_pages: case SYS_move_pages: case SYS_waitid: case SYS_wait4: case SYS_getpriority:
    case SYS_sched_getscheduler: case SYS_sched_getparam: case SYS_sched_getattr: case SYS_get_robust_list:
        return 1;
    }
    return 0;
}

/* The batch's own tracee for ptrace: a child that only pauses, forked on the
 * batch's first ptrace call; it is in the batch's process group, killed with it. */
static pid_t victim;

static pid_t ptrace_victim(void)
{
    if (victim == 0) {
        victim = fork();
        if (victim == 0) {
            for (;;)
                pause();
        }
    }
    return victim > 0 ? victim : getpid();
}

/* Makes a generated call safe for the run (see the header comment); returns the number to issue. */
static long sanitize(long nr, uint64_t a[6])
{
    switch (nr) {
    case SYS_ptrace:
        /* PTRACE_TRACEME would make the fuzzer itself the batch's tracer:
         * never. Half the calls get a request of the 0x42xx range and half
         * act on the batch's own child, which it may attach to. */
        if (fz_below(2) == 0)
            a[0] = 0x4200 + fz_below(17);
        if (a[0] == 0)
            return SYS_getpid;
        if (fz_below(2) == 0)
            a[1] = (uint64_t)ptrace_victim();
        break;
    case SYS_exit: case SYS_exit_group: case SYS_clone: case SYS_clone3: case SYS_execve: case SYS_execveat:
    case SYS_reboot: case SYS_sched_setparam: case SYS_sched_setscheduler: case SYS_sched_setattr:
    case SYS_mount: case SYS_umount2: case SYS_pivot_root:
        return SYS_getpid;
    case SYS_rt_sigreturn:
        /* A garbage frame ends the batch (SIGSEGV): worth a try, not every time. */
        if (fz_below(16) != 0)
            return SYS_getpid;
        break;
    }
    pid_t self = getpid();
    for (int i = 0; i < 6; i++) {
        int v = (int)a[i];
        if (v == FZ_LOGFD)
            a[i] = 5;
        if (pid_syscall(nr) && (v == parent || v == -parent || v == -1))
            a[i] = (uint64_t)self;
    }
    if (nr == SYS_close_range && (unsigned)a[0] <= FZ_LOGFD && (unsigned)a[1] >= FZ_LOGFD)
        a[1] = FZ_LOGFD - 1;
    return nr;
}

/*
 * seccomp(SECCOMP_SET_MODE_FILTER) and prctl(PR_SET_SECCOMP, 2): half the time
 * a sock_fprog near the arena's end pointing at a program of mostly valid
 * classic BPF instructions (so the checker and interpreter see more than
 * EFAULT), with random jumps, offsets and return values.
 */
static void gen_filter(long nr, uint64_t a[6])
{
    static const uint16_t codes[] = { 0x20, 0x00, 0x01, 0x02, 0x03, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c,
                                      0x44, 0x54, 0x64, 0x74, 0x84, 0x94, 0xa4, 0x05, 0x15, 0x1d, 0x25, 0x35, 0x45,
                                      0x60, 0x61, 0x07, 0x87, 0x06, 0x16, 0x80, 0x81, 0x28, 0x40 };
    static const uint32_t rets[] = { 0x7fff0000, 0x7ffc0000, 0x00050000, 0x7ff00000, 0x7fc00000, 0x00030000, 0x7fff0000 };
    if (fz_below(2))
        return;
    char *base = FZ_ARENA + FZ_ARENA_SIZE - 4096;
    unsigned len = 1 + (unsigned)fz_below(fz_below(8) ? 48 : 500);
    unsigned char *ins = (unsigned char *)base + 16;
    for (unsigned i = 0; i < len && 16 + 8 * (i + 1) <= 4096; i++) {
        uint16_t c = fz_below(16) ? codes[fz_below(sizeof codes / sizeof codes[0])] : (uint16_t)fz_rand();
        uint32_t k = fz_below(2) ? (uint32_t)fz_below(72) : (uint32_t)fz_rand();
        if (c == 0x06 || i + 1 == len)
            k = fz_below(4) ? rets[fz_below(sizeof rets / sizeof rets[0])] | (uint32_t)fz_below(64) : (uint32_t)fz_rand();
        if (i + 1 == len && fz_below(8))
            c = 0x06;
        memcpy(ins + 8 * i, &c, 2);
        ins[8 * i + 2] = (unsigned char)fz_below(fz_below(4) ? 4 : 256);
        ins[8 * i + 3] = (unsigned char)fz_below(fz_below(4) ? 4 : 256);
        memcpy(ins + 8 * i + 4, &k, 4);
    }
    uint16_t l16 = (uint16_t)(len > 510 ? 510 : len);
    uint64_t fp = (uint64_t)(uintptr_t)ins;
    memset(base, 0, 16);
    memcpy(base, &l16, 2);
    memcpy(base + 8, &fp, 8);
    if (nr == SYS_seccomp) {
        a[0] = fz_below(8) ? 1 : fz_below(4);
        a[1] = fz_below(2) ? 0 : fz_below(64);
        a[2] = (uint64_t)(uintptr_t)base;
    } else {
        a[0] = 22; /* PR_SET_SECCOMP */
        a[1] = 2;  /* SECCOMP_MODE_FILTER */
        a[2] = (uint64_t)(uintptr_t)base;
    }
}

static long gen_nr(void)
{
    uint64_t r = fz_rand();
    if (r % 64 == 0)
        return (long)fz_edges[(r >> 8) % FZ_NEDGES];
    return (long)((r >> 8) % NR_MAX);
}

/* ---- one batch ---- */

static void issue(long nr, uint64_t a[6])
{
    fz_log("S %lx %lx %lx %lx %lx %lx %lx\n", (unsigned long)nr, (unsigned long)a[0], (unsigned long)a[1],
          (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5]);
    syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void on_alarm(int sig)
{
    (void)sig;
    if (child > 0)
        kill(child, SIGKILL);
}

/* Runs body(arg) in a child with the batch's world; returns its wait status, or -1 if it was killed for time. */
static int in_child(uint64_t index, uint64_t seed, void (*body)(void *), void *arg)
{
    child = fork();
    if (child < 0)
        return -2;
    if (child == 0) {
        setpgid(0, 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < 65; s++)
            sigaction(s, &sa, NULL);
        fz_setup(seed);
        fz_arm_tick();
        body(arg);
        _exit(0);
    }
    fz_log("B %lu %d %lx\n", (unsigned long)index, child, (unsigned long)seed);
    struct itimerval it = { { 0, 0 }, { BATCH_MS / 1000, (BATCH_MS % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    int st = 0;
    pid_t w;
    while ((w = waitpid(child, &st, 0)) < 0 && errno == EINTR)
        ;
    struct itimerval off = { 0 };
    setitimer(ITIMER_REAL, &off, NULL);
    child = 0;
    int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    if (WIFEXITED(st))
        fz_log("E %lu x%d\n", (unsigned long)index, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        fz_log("E %lu s%d\n", (unsigned long)index, WTERMSIG(st));
    /* Kill any process the batch left in its group (none is made on purpose);
     * only with the child's own pid: kill(-(-1)) would name pid 1. */
    if (w > 0)
        kill(-w, SIGKILL);
    return killed ? -1 : st;
}

static int batch_size;

static void random_batch(void *arg)
{
    (void)arg;
    for (int i = 0; i < batch_size; i++) {
        uint64_t a[6];
        long nr = gen_nr();
        for (int j = 0; j < 6; j++)
            a[j] = gen_arg();
        if (nr == SYS_seccomp || (nr == SYS_prctl && fz_below(8) == 0))
            gen_filter(nr, a);
        nr = sanitize(nr, a);
        issue(nr, a);
    }
}

static unsigned struct_kinds; /* bit i: sfz_kinds[i] is drawn */

/* A batch of structured ops: each drawn kind and seed come from the batch's
 * stream, the op itself runs from its own seed (so it replays alone). */
static void struct_batch(void *arg)
{
    (void)arg;
    sfz_setup();
    for (int i = 0; i < batch_size; i++) {
        int kind;
        do
            kind = (int)fz_below(SFZ_NKINDS);
        while (!(struct_kinds & (1u << kind)));
        uint64_t seed = fz_rand(), keep = fz_state;
        fz_op(kind, seed);
        fz_state = keep;
    }
}

/* Replays "nr a0..a5" lines (hex) and "o KIND SEED" structured ops; a list
 * with any op runs in the structured world. */
static void replay_batch(void *arg)
{
    FILE *f = arg;
    static char line[512];
    int structured = 0;
    while (fgets(line, sizeof line, f))
        if (line[0] == 'o')
            structured = 1;
    rewind(f);
    if (structured)
        sfz_setup();
    unsigned long v[7];
    while (fgets(line, sizeof line, f)) {
        unsigned kind;
        if (line[0] == 'o' && sscanf(line + 1, "%x %lx", &kind, &v[0]) == 2) {
            fz_op((int)kind, v[0]);
        } else if (sscanf(line, "%lx %lx %lx %lx %lx %lx %lx", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7) {
            uint64_t a[6] = { v[1], v[2], v[3], v[4], v[5], v[6] };
            issue((long)v[0], a);
        }
    }
}

/* ---- ELF mutation ---- */

/* A minimal static riscv64 executable: one PT_LOAD (R+X) and PT_GNU_STACK; exit(0). */
static size_t make_elf(unsigned char *b)
{
    memset(b, 0, 512);
    const unsigned char ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
    memcpy(b, ident, 16);
    uint64_t base = 0x10000, code = 64 + 2 * 56, size = code + 12;
    *(uint16_t *)(b + 16) = 2;        /* e_type ET_EXEC */
    *(uint16_t *)(b + 18) = 243;      /* e_machine EM_RISCV */
    *(uint32_t *)(b + 20) = 1;        /* e_version */
    *(uint64_t *)(b + 24) = base + code;
    *(uint64_t *)(b + 32) = 64;       /* e_phoff */
    *(uint16_t *)(b + 52) = 64;       /* e_ehsize */
    *(uint16_t *)(b + 54) = 56;       /* e_phentsize */
    *(uint16_t *)(b + 56) = 2;        /* e_phnum */
    unsigned char *p = b + 64;
    *(uint32_t *)(p + 0) = 1;         /* PT_LOAD */
    *(uint32_t *)(p + 4) = 5;         /* R+X */
    *(uint64_t *)(p + 16) = base;
    *(uint64_t *)(p + 24) = base;
    *(uint64_t *)(p + 32) = size;
    *(uint64_t *)(p + 40) = size;
    *(uint64_t *)(p + 48) = 4096;
    p += 56;
    *(uint32_t *)(p + 0) = 0x6474e551; /* PT_GNU_STACK */
    *(uint32_t *)(p + 4) = 6;
    uint32_t insns[3] = { 0x00000513, 0x05d00893, 0x00000073 }; /* li a0,0; li a7,93; ecall */
    memcpy(b + code, insns, sizeof insns);
    return size;
}

static void mutate(unsigned char *b, size_t *len)
{
    int n = (int)fz_below(4); /* sometimes none: the pristine file must run */
    for (int i = 0; i < n; i++) {
        uint64_t r = fz_rand(), x = r >> 8;
        size_t at = x % *len;
        switch (r % 6) {
        case 0: b[at] ^= (unsigned char)(1u << (x % 8)); break;
        case 1: b[at] = (unsigned char)fz_rand(); break;
        case 2: if (at + 8 <= *len) { uint64_t v = fz_edges[x % FZ_NEDGES]; memcpy(b + (at & ~7UL), &v, 8); } break;
        case 3: if (at + 4 <= *len) { uint32_t v = (uint32_t)fz_edges[x % FZ_NEDGES]; memcpy(b + (at & ~3UL), &v, 4); } break;
        case 4: { static const uint32_t types[] = { 1, 2, 3, 4, 6, 7, 0x6474e551, 0x6474e552, 0x70000003 };
                  b[64 + 56 * (x % 2)] = (unsigned char)types[(x >> 4) % 9]; break; }
        default: if (fz_below(4) == 0) *len = x % 512; break; /* truncated */
        }
    }
}

static const char *elf_path;

static void exec_elf(void *arg)
{
    (void)arg;
    char *argv[] = { (char *)"m", NULL }, *envp[] = { NULL };
    execve(elf_path, argv, envp);
    fz_log("X %d\n", errno);
    _exit(100);
}

/* ---- main ---- */

static uint64_t batch_seed(uint64_t seed, uint64_t index)
{
    fz_state = seed ^ (index * 0x2545f4914f6cdd1dULL);
    fz_rand();
    return fz_rand();
}

static void protect_parent(void)
{
    setpgid(0, 0);
    parent = getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    for (int s = 1; s < 65; s++)
        if (s != SIGCHLD && s != SIGALRM && s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    if (dup2(1, FZ_LOGFD) != FZ_LOGFD) {
        fprintf(stderr, "fuzz: cannot dup stdout to fd %d\n", FZ_LOGFD);
        exit(2);
    }
    if (fz_map() != 0) {
        fprintf(stderr, "fuzz: cannot map the arena\n");
        exit(2);
    }
    mkdir(FZ_DIR, 0777);
}

// `run` and `struct`: batches first .. first+n-1 of seed, each in a child;
// a = {seed, first, n, batch size}.
static int run_batches(char **a, void (*batch)(void *))
{
    uint64_t seed = strtoull(a[0], NULL, 0), first = strtoull(a[1], NULL, 0);
    uint64_t n = strtoull(a[2], NULL, 0);
    batch_size = atoi(a[3]);
    protect_parent();
    for (uint64_t i = first; i < first + n; i++) {
        in_child(i, batch_seed(seed, i), batch, NULL);
        calls += (uint64_t)batch_size;
    }
    fz_log("D %lu\n", (unsigned long)calls);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && strcmp(argv[1], "run") == 0) {
        return run_batches(argv + 2, random_batch);
    }
    if (argc >= 7 && strcmp(argv[1], "struct") == 0) {
        for (int k = 0; k < SFZ_NKINDS; k++)
            if (strcmp(argv[2], "all") == 0 || strstr(argv[2], sfz_kinds[k]))
                struct_kinds |= 1u << k;
        if (!struct_kinds) {
            fprintf(stderr, "fuzz: no kind in %s\n", argv[2]);
            return 2;
        }
        return run_batches(argv + 3, struct_batch);
    }
    if (argc >= 4 && strcmp(argv[1], "replay") == 0) {
        FILE *f = fopen(argv[3], "r");
        if (!f) {
            perror(argv[3]);
            return 2;
        }
        protect_parent();
        in_child(0, strtoull(argv[2], NULL, 16), replay_batch, f);
        fz_log("D 0\n");
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "elf") == 0) {
        uint64_t seed = strtoull(argv[2], NULL, 0), first = strtoull(argv[3], NULL, 0);
        uint64_t n = strtoull(argv[4], NULL, 0);
        static char path[4096];
        elf_path = argc >= 6 ? argv[5] : FZ_DIR "/m";
        if (elf_path[0] != '/' && getcwd(path, sizeof path - 256)) { /* each batch runs in FZ_DIR */
            strcat(path, "/");
            strcat(path, elf_path);
            elf_path = path;
        }
        protect_parent();
        unsigned long refused = 0, ran = 0, killed = 0;
        for (uint64_t i = first; i < first + n; i++) {
            unsigned char b[512];
            size_t len = make_elf(b);
            fz_state = batch_seed(seed, i);
            mutate(b, &len);
            unlink(elf_path);
            int fd = open(elf_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
            if (fd < 0 || write(fd, b, len) != (ssize_t)len) {
                fprintf(stderr, "fuzz: cannot write %s\n", elf_path);
                return 2;
            }
            close(fd);
            int st = in_child(i, fz_state, exec_elf, NULL);
            if (st == -1)
                killed++;
            else if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
                refused++;
            else
                ran++;
        }
        fz_log("D 0 elf refused=%lu ran=%lu killed=%lu\n", refused, ran, killed);
        return 0;
    }
    fprintf(stderr, "usage: fuzz run SEED FIRST NBATCHES BATCHSIZE | fuzz struct KINDS SEED FIRST NBATCHES BATCHSIZE | fuzz replay BATCHSEED FILE | fuzz elf SEED FIRST N [PATH]\n");
    return 2;
}
