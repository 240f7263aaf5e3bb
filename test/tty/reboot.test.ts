// reboot(2) and sethostname(2) under Ghost (never under qemu: the host would
// obey). Power-off ends Ghost with status 0; bad magic is EINVAL; a non-root
// caller gets EPERM first.
//
//   npx tsc -p tsconfig.json && node --test dist/test/tty/reboot.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/tty");
const out = join(root, "build", "tty");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const noCC = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0 ? false : `${CC} not found`;

const SOURCE = String.raw`
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/reboot.h>

static long rb(unsigned m1, unsigned m2, unsigned cmd) { return syscall(SYS_reboot, m1, m2, cmd, 0); }
static void show(const char *what, long r) { printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "0"); fflush(stdout); }

int main(int argc, char **argv)
{
    show("bad magic1", rb(1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF));
    show("bad magic2", rb(LINUX_REBOOT_MAGIC1, 7, LINUX_REBOOT_CMD_CAD_OFF));
    show("bad command", rb(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, 0x1234));
    show("CAD_OFF", rb(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2C, LINUX_REBOOT_CMD_CAD_OFF));
    show("CAD_ON", rb(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_CMD_CAD_ON));
    show("sethostname", sethostname("box", 3));
    struct utsname u;
    uname(&u);
    printf("nodename: %s\n", u.nodename);
    show("sethostname too long", sethostname("x", 65));
    pid_t pid = fork();
    if (pid == 0) {
        setuid(1000);
        show("non-root, bad magic", rb(1, 2, 3));
        show("non-root sethostname", sethostname("no", 2));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    if (argc > 1) {
        show("power off", reboot(RB_POWER_OFF));
        printf("still running\n");
        return 9;
    }
    return 0;
}
`;

test("reboot(2) and sethostname(2) under Ghost", { skip: noCC }, () => {
  mkdirSync(out, { recursive: true });
  const c = join(out, "reboot.c");
  writeFileSync(c, SOURCE);
  const exe = join(out, "reboot");
  const cc = spawnSync(CC, ["-O2", "-static", "-Wall", "-o", exe, c], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  const r = spawnSync(process.execPath, [ghost, "run", "./reboot", "off"], { cwd: out, encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
  assert.equal(r.stdout, [
    "bad magic1: EINVAL", "bad magic2: EINVAL", "bad command: EINVAL", "CAD_OFF: 0", "CAD_ON: 0",
    "sethostname: 0", "nodename: box", "sethostname too long: EINVAL",
    "non-root, bad magic: EPERM", "non-root sethostname: EPERM", "",
  ].join("\n"));
  assert.equal(r.status, 0, `power-off ends Ghost with status 0 (stderr: ${r.stderr})`);
});
