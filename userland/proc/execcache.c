/* execcache.c - an exec sees the program file as it is now. Ghost keeps the
 * parsed ELF header of a program it ran (issue #9); a file changed in
 * place (same inode: pwrite, a MAP_SHARED store, truncate) must be parsed
 * again, not run from the old header. The copy of this program that the
 * test execs has its ELF entry point moved to alt_entry, which exits 7,
 * and back to _start (whose main exits 42 for "child").
 * Under qemu-user the exec goes through the host's qemu (kt_exec). */
#include "ktest.h"
#include <elf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stddef.h>

/* An entry point that needs no C runtime: exit(7) straight away. */
#if defined(__riscv)
__asm__(".text\n.globl alt_entry\n.type alt_entry, @function\nalt_entry:\n"
        "  li a0, 7\n  li a7, 93\n  ecall\n");
#elif defined(__x86_64__)
__asm__(".text\n.globl alt_entry\n.type alt_entry, @function\nalt_entry:\n"
        "  mov $7, %edi\n  mov $60, %eax\n  syscall\n");
#endif
extern char alt_entry[];
extern char _start[];

static const char *prog;
static Elf64_Addr start_entry, alt;

/* Runs prog with "child"; returns its exit status, or 100 + errno when execve failed. */
static int run(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)"execcache", (char *)"child", NULL};
        kt_exec(prog, argv, environ);
        _exit(100 + errno);
    }
    int st = 0;
    kt_waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void set_entry_pwrite(Elf64_Addr e)
{
    int fd = open(prog, O_WRONLY | O_CLOEXEC);
    if (pwrite(fd, &e, sizeof e, offsetof(Elf64_Ehdr, e_entry)) != sizeof e)
        kt_fail("pwrite e_entry", "%s", strerror(errno));
    close(fd);
}

static int copy_self(void)
{
    int in = open(kt_self, O_RDONLY | O_CLOEXEC);
    int out = open(prog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (in < 0 || out < 0)
        return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            return -1;
    close(in);
    close(out);
    return n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return 42;
    kt_init(argc, argv);
    kt_set_self(argv[0]);
    kt_mktemp("execcache");
    prog = kt_path("prog");
    if (!kt_check(copy_self() == 0, "copy the program", "%s", strerror(errno)))
        return kt_done();

    Elf64_Ehdr eh;
    int fd = open(prog, O_RDONLY | O_CLOEXEC);
    CHECK_EQ(read(fd, &eh, sizeof eh), (ssize_t)sizeof eh, "read the ELF header");
    close(fd);
    start_entry = eh.e_entry;
    alt = start_entry + (Elf64_Addr)(alt_entry - _start);

    CHECK_EQ(run(), 42, "the copy runs main");
    CHECK_EQ(run(), 42, "and again (the same file, unchanged)");

    set_entry_pwrite(alt);
    CHECK_EQ(run(), 7, "after pwrite of e_entry, exec starts at the new entry");
    CHECK_EQ(run(), 7, "and again");
    set_entry_pwrite(start_entry);
    CHECK_EQ(run(), 42, "e_entry written back: main again");

    /* A store through a shared mapping of the file. */
    fd = open(prog, O_RDWR | O_CLOEXEC);
    Elf64_Ehdr *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (CHECK(m != MAP_FAILED, "map the file's head shared")) {
        m->e_entry = alt;
        munmap(m, 4096);
        CHECK_EQ(run(), 7, "after a MAP_SHARED store to e_entry, exec starts at the new entry");
    }
    set_entry_pwrite(start_entry);
    CHECK_EQ(run(), 42, "written back again: main");

    /* Cut short: no longer an ELF executable (a direct execve: qemu's own errors differ). */
    if (!kt_qemu()) {
        CHECK_OK(truncate(prog, 32), "truncate the copy to 32 bytes");
        CHECK_EQ(run(), 100 + ENOEXEC, "a truncated copy fails with ENOEXEC");
    }
    unlink(prog);
    rmdir(kt_tmpdir);
    return kt_done();
}
