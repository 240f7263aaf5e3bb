/* keys.c - kernel key management: add_key, request_key, keyctl; the task
 * keyrings across fork, threads and exec; permissions, quotas, /proc/keys.
 * qemu-user 7.2 has no keyctl (ENOSYS): there the program skips, and the
 * host's Linux runs it natively instead. */
#include "ktest.h"
#include <pthread.h>
#include <stdint.h>

typedef int32_t key_serial_t;

#define KEY_SPEC_THREAD_KEYRING -1
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEY_SPEC_SESSION_KEYRING -3
#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_USER_SESSION_KEYRING -5
#define KEY_SPEC_GROUP_KEYRING -6
#define KEY_SPEC_REQKEY_AUTH_KEY -7

#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_UPDATE 2
#define KEYCTL_REVOKE 3
#define KEYCTL_CHOWN 4
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEYCTL_CLEAR 7
#define KEYCTL_LINK 8
#define KEYCTL_UNLINK 9
#define KEYCTL_SEARCH 10
#define KEYCTL_READ 11
#define KEYCTL_INSTANTIATE 12
#define KEYCTL_NEGATE 13
#define KEYCTL_SET_REQKEY_KEYRING 14
#define KEYCTL_SET_TIMEOUT 15
#define KEYCTL_ASSUME_AUTHORITY 16
#define KEYCTL_GET_SECURITY 17
#define KEYCTL_SESSION_TO_PARENT 18
#define KEYCTL_INVALIDATE 21
#define KEYCTL_DH_COMPUTE 23
#define KEYCTL_RESTRICT_KEYRING 29
#define KEYCTL_MOVE 30
#define KEYCTL_CAPABILITIES 31

#define KEY_POS_VIEW 0x01000000
#define KEY_POS_READ 0x02000000
#define KEY_POS_WRITE 0x04000000
#define KEY_POS_SEARCH 0x08000000
#define KEY_POS_ALL 0x3f000000
#define KEY_USR_VIEW 0x00010000

static long kctl(long op, long a, long b, long c, long d)
{
    return syscall(SYS_keyctl, op, a, b, c, d);
}

static key_serial_t add_key(const char *type, const char *desc, const void *p, size_t n, key_serial_t ring)
{
    return syscall(SYS_add_key, type, desc, p, n, ring);
}

static key_serial_t request_key(const char *type, const char *desc, const char *callout, key_serial_t dest)
{
    return syscall(SYS_request_key, type, desc, callout, dest);
}

static key_serial_t ring_id(key_serial_t spec, int create)
{
    return kctl(KEYCTL_GET_KEYRING_ID, spec, create, 0, 0);
}

/* KEYCTL_DESCRIBE into buf; the length with its NUL, or -1. */
static long describe(key_serial_t id, char *buf, size_t n)
{
    return kctl(KEYCTL_DESCRIBE, id, (long)buf, n, 0);
}

/* Whether the keyring links key. */
static int ring_holds(key_serial_t ring, key_serial_t key)
{
    key_serial_t ids[64];
    long n = kctl(KEYCTL_READ, ring, (long)ids, sizeof ids, 0);
    for (long i = 0; i < n / 4 && i < 64; i++)
        if (ids[i] == key)
            return 1;
    return 0;
}

/* The line of /proc/keys for a serial, or "" (at most 255 bytes). */
static void proc_keys_line(key_serial_t id, char *out, size_t n)
{
    char want[16], buf[65536];
    snprintf(want, sizeof want, "%08x ", id);
    out[0] = 0;
    ssize_t got = vt_get("/proc/keys", buf, sizeof buf);
    if (got <= 0)
        return;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, want, 9) == 0) {
            snprintf(out, n, "%s", line);
            return;
        }
}

static void *thread_ids(void *arg)
{
    key_serial_t *out = arg;
    out[0] = ring_id(KEY_SPEC_THREAD_KEYRING, 0);
    out[1] = ring_id(KEY_SPEC_PROCESS_KEYRING, 0);
    out[2] = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
    return NULL;
}

/* After exec: argv = keys exec-check <session id>. */
static int exec_check(key_serial_t ses)
{
    int bad = 0;
    errno = 0;
    if (ring_id(KEY_SPEC_THREAD_KEYRING, 0) != -1 || errno != ENOKEY)
        bad |= 1;
    errno = 0;
    if (ring_id(KEY_SPEC_PROCESS_KEYRING, 0) != -1 || errno != ENOKEY)
        bad |= 2;
    if (ring_id(KEY_SPEC_SESSION_KEYRING, 0) != ses)
        bad |= 4;
    return bad;
}

static void basics(void)
{
    char buf[512], want[512];
    key_serial_t ses = kctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
    CHECK(ses > 0, "JOIN_SESSION_KEYRING(NULL) makes an anonymous session keyring");
    CHECK_EQ(ring_id(KEY_SPEC_SESSION_KEYRING, 0), ses, "@s is the joined keyring");
    snprintf(want, sizeof want, "keyring;%d;%d;3f030000;_ses", getuid(), getgid());
    CHECK(describe(ses, buf, sizeof buf) == (long)strlen(want) + 1 && strcmp(buf, want) == 0, "DESCRIBE @s");

    CHECK_ERR(ring_id(KEY_SPEC_THREAD_KEYRING, 0), ENOKEY, "no thread keyring until asked for");
    key_serial_t tid = ring_id(KEY_SPEC_THREAD_KEYRING, 1);
    CHECK(tid > 0 && ring_id(KEY_SPEC_THREAD_KEYRING, 0) == tid, "GET_KEYRING_ID(@t, create) makes it once");
    snprintf(want, sizeof want, "keyring;%d;%d;3f010000;_tid", getuid(), getgid());
    CHECK(describe(tid, buf, sizeof buf) > 0 && strcmp(buf, want) == 0, "DESCRIBE @t");
    key_serial_t pid = ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
    CHECK(pid > 0 && pid != tid, "GET_KEYRING_ID(@p, create)");
    CHECK(ring_id(KEY_SPEC_USER_KEYRING, 0) > 0, "@u exists on demand");
    CHECK(ring_id(KEY_SPEC_USER_SESSION_KEYRING, 0) > 0, "@us exists on demand");
    CHECK_ERR(ring_id(KEY_SPEC_GROUP_KEYRING, 0), EINVAL, "@g is EINVAL");
    CHECK_ERR(ring_id(KEY_SPEC_REQKEY_AUTH_KEY, 0), ENOKEY, "no authorisation key");
    CHECK_ERR(ring_id(-9, 0), EINVAL, "an unknown special id is EINVAL");
    CHECK_ERR(ring_id(0, 0), EINVAL, "id 0 is EINVAL");

    /* user keys: add, read, update by adding again, describe */
    key_serial_t k1 = add_key("user", "kt:one", "hello", 5, ses);
    CHECK(k1 > 0, "add_key user");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(kctl(KEYCTL_READ, k1, (long)buf, sizeof buf, 0), 5, "READ gives the payload length");
    CHECK_STR(buf, "hello", "READ gives the payload");
    CHECK_EQ(add_key("user", "kt:one", "world!", 6, ses), k1, "add_key of the same description updates the key");
    memset(buf, 'Z', 16);
    CHECK_EQ(kctl(KEYCTL_READ, k1, (long)buf, 3, 0), 6, "READ into a short buffer gives the full length");
    CHECK(buf[0] == 'Z', "READ into a short buffer copies nothing");
    CHECK_EQ(kctl(KEYCTL_READ, k1, 0, 0, 0), 6, "READ with no buffer gives the length");
    CHECK_OK(kctl(KEYCTL_UPDATE, k1, (long)"again", 5, 0), "UPDATE");
    CHECK(kctl(KEYCTL_READ, k1, (long)buf, sizeof buf, 0) == 5 && memcmp(buf, "again", 5) == 0, "READ after UPDATE");
    snprintf(want, sizeof want, "user;%d;%d;3f010000;kt:one", getuid(), getgid());
    CHECK(describe(k1, buf, sizeof buf) == (long)strlen(want) + 1 && strcmp(buf, want) == 0, "DESCRIBE a user key");
    memset(buf, 'Z', 8);
    CHECK(describe(k1, buf, 4) == (long)strlen(want) + 1 && buf[0] == 'Z', "DESCRIBE into a short buffer copies nothing");
    CHECK_ERR(describe(k1, KT_BAD_PTR, 100), EFAULT, "DESCRIBE to a bad buffer is EFAULT");
    CHECK(ring_holds(ses, k1), "the session keyring links the key");
    CHECK_EQ(kctl(KEYCTL_SEARCH, ses, (long)"user", (long)"kt:one", 0), k1, "SEARCH finds it");
    CHECK_ERR(kctl(KEYCTL_SEARCH, ses, (long)"user", (long)"kt:none", 0), ENOKEY, "SEARCH for a missing key is ENOKEY");
    CHECK_ERR(kctl(KEYCTL_SEARCH, k1, (long)"user", (long)"x", 0), ENOTDIR, "SEARCH in a non-keyring is ENOTDIR");

    /* add_key's argument checks */
    CHECK_ERR(add_key("nonesuch", "x", "b", 1, ses), ENODEV, "an unknown type is ENODEV");
    CHECK_ERR(add_key(".hidden", "x", "b", 1, ses), EPERM, "a '.' type is EPERM");
    CHECK_ERR(add_key("", "x", "b", 1, ses), EINVAL, "an empty type is EINVAL");
    CHECK_ERR(add_key("user", "", "b", 1, ses), EINVAL, "an empty description is EINVAL");
    CHECK_ERR(add_key("keyring", ".x", NULL, 0, ses), EPERM, "a '.' keyring is EPERM");
    CHECK_ERR(add_key("keyring", "kr", "x", 1, ses), EINVAL, "a keyring with a payload is EINVAL");
    CHECK_ERR(add_key("user", "x", "b", 0, ses), EINVAL, "an empty user payload is EINVAL");
    static char big[32768];
    CHECK(add_key("user", "kt:big", big, 32767, ses) > 0, "a 32767-byte user key");
    CHECK_ERR(add_key("user", "kt:big2", big, 32768, ses), EINVAL, "a 32768-byte user key is EINVAL");
    CHECK_ERR(add_key("logon", "nocolon", "b", 1, ses), EINVAL, "a logon key needs 'service:'");
    key_serial_t lg = add_key("logon", "kt:logon", "secret", 6, ses);
    CHECK(lg > 0, "add_key logon");
    CHECK_ERR(kctl(KEYCTL_READ, lg, (long)buf, sizeof buf, 0), EOPNOTSUPP, "a logon key cannot be read");
    CHECK_ERR(add_key("user", "x", "b", 1, 0), EINVAL, "keyring 0 is EINVAL");
    CHECK_ERR(add_key("user", "x", "b", 1, k1), ENOTDIR, "a non-keyring destination is ENOTDIR");
    CHECK_ERR(add_key("user", "x", KT_BAD_PTR, 8, ses), EFAULT, "a bad payload pointer is EFAULT");
    CHECK_ERR(add_key("user", KT_BAD_PTR, "b", 1, ses), EFAULT, "a bad description pointer is EFAULT");
    CHECK_ERR(add_key(KT_BAD_PTR, "x", "b", 1, ses), EFAULT, "a bad type pointer is EFAULT");
    CHECK_ERR(add_key("user", "x", NULL, 64, ses), EFAULT, "a NULL payload with a length is EFAULT");
    CHECK_ERR(kctl(KEYCTL_UPDATE, ses, (long)"x", 1, 0), EOPNOTSUPP, "UPDATE of a keyring is EOPNOTSUPP");
    CHECK_ERR(kctl(KEYCTL_UPDATE, k1, (long)big, 5000, 0), EINVAL, "UPDATE past a page is EINVAL");
    CHECK_ERR(kctl(KEYCTL_SETPERM, k1, 0x40000000, 0, 0), EINVAL, "SETPERM with unknown bits is EINVAL");
    CHECK_ERR(kctl(KEYCTL_CLEAR, k1, 0, 0, 0), ENOTDIR, "CLEAR of a non-keyring is ENOTDIR");
    CHECK_ERR(kctl(99, 0, 0, 0, 0), EOPNOTSUPP, "an unknown operation is EOPNOTSUPP");
    CHECK_ERR(kctl(KEYCTL_DH_COMPUTE, 0, 0, 0, 0), EOPNOTSUPP, "DH_COMPUTE is not built");

    /* links */
    key_serial_t kr = add_key("keyring", "kt:ring", NULL, 0, ses);
    CHECK(kr > 0, "add_key keyring");
    CHECK_ERR(kctl(KEYCTL_LINK, ses, ses, 0, 0), EDEADLK, "LINK a keyring into itself is EDEADLK");
    CHECK_ERR(kctl(KEYCTL_LINK, ses, kr, 0, 0), EDEADLK, "LINK making a cycle is EDEADLK");
    CHECK_OK(kctl(KEYCTL_LINK, k1, kr, 0, 0), "LINK a key into a second keyring");
    CHECK(ring_holds(kr, k1), "the second keyring holds it");
    CHECK_EQ(kctl(KEYCTL_SEARCH, ses, (long)"user", (long)"kt:one", 0), k1, "SEARCH finds it");
    CHECK_OK(kctl(KEYCTL_UNLINK, k1, kr, 0, 0), "UNLINK");
    CHECK_ERR(kctl(KEYCTL_UNLINK, k1, kr, 0, 0), ENOENT, "UNLINK of a key not linked is ENOENT");
    key_serial_t nested = add_key("user", "kt:nested", "n", 1, kr);
    CHECK_EQ(kctl(KEYCTL_SEARCH, ses, (long)"user", (long)"kt:nested", 0), nested, "SEARCH descends into keyrings");
    CHECK_EQ(kctl(KEYCTL_READ, kr, (long)buf, sizeof buf, 0), 4, "READ of a keyring gives its serials");
    CHECK_EQ(*(key_serial_t *)buf, nested, "the serial read is the linked key's");
    CHECK_OK(kctl(KEYCTL_MOVE, nested, kr, pid, 1), "MOVE to another keyring");
    CHECK(!ring_holds(kr, nested) && ring_holds(pid, nested), "MOVE unlinks and links");
    CHECK_ERR(kctl(KEYCTL_MOVE, nested, kr, pid, 0), ENOENT, "MOVE from a keyring not holding it is ENOENT");
    CHECK(add_key("user", "kt:nested", "m", 1, kr) > 0, "another key of that description");
    CHECK_ERR(kctl(KEYCTL_MOVE, nested, pid, kr, 1), EEXIST, "MOVE_EXCL onto a same-named key is EEXIST");
    CHECK_ERR(kctl(KEYCTL_MOVE, nested, pid, kr, 2), EINVAL, "MOVE with unknown flags is EINVAL");
    CHECK_OK(kctl(KEYCTL_CLEAR, kr, 0, 0, 0), "CLEAR");
    CHECK_EQ(kctl(KEYCTL_READ, kr, (long)buf, sizeof buf, 0), 0, "a cleared keyring is empty");

    /* restrict */
    key_serial_t rr = add_key("keyring", "kt:restricted", NULL, 0, ses);
    CHECK_OK(kctl(KEYCTL_RESTRICT_KEYRING, rr, 0, 0, 0), "RESTRICT_KEYRING with no type");
    CHECK_ERR(kctl(KEYCTL_RESTRICT_KEYRING, rr, 0, 0, 0), EEXIST, "a second restriction is EEXIST");
    CHECK_ERR(add_key("user", "x", "b", 1, rr), EPERM, "a restricted keyring takes no new key");
    CHECK_ERR(kctl(KEYCTL_LINK, k1, rr, 0, 0), EPERM, "nor a link");

    /* permissions */
    key_serial_t pk = add_key("user", "kt:perm", "pp", 2, ses);
    CHECK_OK(kctl(KEYCTL_SETPERM, pk, KEY_POS_VIEW | KEY_POS_SEARCH | KEY_USR_VIEW, 0, 0), "SETPERM");
    CHECK_ERR(kctl(KEYCTL_UPDATE, pk, (long)"x", 1, 0), EACCES, "UPDATE without Write is EACCES");
    CHECK_EQ(kctl(KEYCTL_READ, pk, (long)buf, sizeof buf, 0), 2, "a possessed searchable key reads without Read");
    CHECK_ERR(kctl(KEYCTL_SETPERM, pk, KEY_POS_ALL, 0, 0), EACCES, "SETPERM without Setattr is EACCES");
    CHECK_ERR(kctl(KEYCTL_REVOKE, pk, 0, 0, 0), EACCES, "REVOKE without Write or Setattr is EACCES");
    if (getuid() == 0) {
        CHECK_OK(kctl(KEYCTL_CHOWN, k1, -1, 4242, 0), "CHOWN the group (root)");
        snprintf(want, sizeof want, "user;%d;4242;3f010000;kt:one", getuid());
        CHECK(describe(k1, buf, sizeof buf) > 0 && strcmp(buf, want) == 0, "DESCRIBE shows the new group");
    }
    CHECK_OK(kctl(KEYCTL_CHOWN, k1, -1, -1, 0), "CHOWN(-1, -1) changes nothing");

    /* GET_SECURITY, CAPABILITIES */
    memset(buf, 'Z', 4);
    CHECK(kctl(KEYCTL_GET_SECURITY, k1, (long)buf, sizeof buf, 0) == 1 && buf[0] == 0, "GET_SECURITY: no label");
    CHECK_ERR(kctl(KEYCTL_GET_SECURITY, k1, (long)KT_BAD_PTR, 10, 0), EFAULT, "GET_SECURITY to a bad buffer is EFAULT");
    unsigned char caps[4] = {0};
    CHECK_EQ(kctl(KEYCTL_CAPABILITIES, (long)caps, sizeof caps, 0, 0), 2, "CAPABILITIES is two bytes");
    CHECK((caps[0] & 0xe1) == 0xe1, "CAPABILITIES: capabilities, invalidate, restrict, move");

    /* revoke, invalidate, timeout */
    key_serial_t rv = add_key("user", "kt:revoked", "r", 1, ses);
    CHECK_OK(kctl(KEYCTL_REVOKE, rv, 0, 0, 0), "REVOKE");
    CHECK_ERR(kctl(KEYCTL_READ, rv, (long)buf, sizeof buf, 0), EKEYREVOKED, "READ of a revoked key");
    CHECK_ERR(describe(rv, buf, sizeof buf), EKEYREVOKED, "DESCRIBE of a revoked key");
    CHECK_ERR(kctl(KEYCTL_UPDATE, rv, (long)"x", 1, 0), EKEYREVOKED, "UPDATE of a revoked key");
    CHECK_ERR(kctl(KEYCTL_SEARCH, ses, (long)"user", (long)"kt:revoked", 0), EKEYREVOKED, "SEARCH meets a revoked key");
    CHECK_OK(kctl(KEYCTL_UNLINK, rv, ses, 0, 0), "a revoked key can be unlinked");
    key_serial_t iv = add_key("user", "kt:invalid", "i", 1, ses);
    CHECK_OK(kctl(KEYCTL_INVALIDATE, iv, 0, 0, 0), "INVALIDATE");
    CHECK_ERR(describe(iv, buf, sizeof buf), ENOKEY, "an invalidated key is gone");
    /* Linux's collector runs from a work queue: wait for it */
    KT_WAIT_FOR(!ring_holds(ses, iv), 5000);
    CHECK(!ring_holds(ses, iv), "and unlinked");
    key_serial_t ex = add_key("user", "kt:expiring", "e", 1, ses);
    CHECK_OK(kctl(KEYCTL_SET_TIMEOUT, ex, 1, 0, 0), "SET_TIMEOUT 1 s");
    long r;
    KT_WAIT_FOR((r = describe(ex, buf, sizeof buf)) < 0, 5000);
    CHECK(r == -1 && errno == EKEYEXPIRED, "the key expires");
    CHECK_ERR(kctl(KEYCTL_READ, ex, (long)buf, sizeof buf, 0), EKEYEXPIRED, "READ of an expired key");

    /* request_key */
    CHECK_EQ(request_key("user", "kt:one", NULL, 0), k1, "request_key finds a key in the session keyring");
    CHECK_EQ(request_key("user", "kt:one", NULL, pid), k1, "request_key links what it finds into dest");
    CHECK(ring_holds(pid, k1), "dest holds it");
    CHECK_ERR(request_key("user", "kt:absent", NULL, 0), ENOKEY, "no key and no callout: ENOKEY");
    CHECK_ERR(request_key("keyring", "kt:absent", "info", 0), EPERM, "a keyring cannot be constructed");
    CHECK_ERR(request_key("nonesuch", "x", "info", 0), ENOKEY, "an unknown type is ENOKEY");
    CHECK_ERR(request_key(".t", "x", NULL, 0), EPERM, "a '.' type is EPERM");
    CHECK_ERR(request_key("user", KT_BAD_PTR, NULL, 0), EFAULT, "a bad description is EFAULT");
    CHECK_ERR(request_key("user", "x", KT_BAD_PTR, 0), EFAULT, "a bad callout is EFAULT");
    /* with callout information the upcall runs; without /sbin/request-key it fails (ENOENT) and leaves a negative key */
    errno = 0;
    r = request_key("user", "kt:upcall", "info", pid);
    CHECK(r == -1 && (errno == ENOENT || errno == ENOKEY), "request_key with a failing upcall");
    key_serial_t neg = kctl(KEYCTL_SEARCH, pid, (long)"user", (long)"kt:upcall", 0);
    CHECK(neg == -1 && errno == ENOKEY, "the negative key is found as ENOKEY");
    CHECK_ERR(request_key("user", "kt:upcall", "info", pid), ENOKEY, "a second request meets the negative key");

    /* the request-key default keyring */
    CHECK_EQ(kctl(KEYCTL_SET_REQKEY_KEYRING, -1, 0, 0, 0), 0, "SET_REQKEY_KEYRING(NO_CHANGE) gives the default");
    CHECK_EQ(kctl(KEYCTL_SET_REQKEY_KEYRING, 1, 0, 0, 0), 0, "SET_REQKEY_KEYRING(THREAD) returns the old setting");
    CHECK_EQ(ring_id(KEY_SPEC_THREAD_KEYRING, 0), tid, "and keeps the existing thread keyring");
    CHECK_EQ(kctl(KEYCTL_SET_REQKEY_KEYRING, -1, 0, 0, 0), 1, "the setting is kept");
    CHECK_ERR(kctl(KEYCTL_SET_REQKEY_KEYRING, 6, 0, 0, 0), EINVAL, "the group keyring is EINVAL");
    CHECK_OK(kctl(KEYCTL_SET_REQKEY_KEYRING, 0, 0, 0, 0), "back to the default");

    /* no upcall: no authorisation to instantiate */
    CHECK_ERR(kctl(KEYCTL_INSTANTIATE, k1, (long)"x", 1, 0), EPERM, "INSTANTIATE without authority is EPERM");
    CHECK_ERR(kctl(KEYCTL_NEGATE, k1, 1, 0, 0), EPERM, "NEGATE without authority is EPERM");
    CHECK_ERR(kctl(KEYCTL_ASSUME_AUTHORITY, k1, 0, 0, 0), ENOKEY, "ASSUME_AUTHORITY for no request is ENOKEY");
    CHECK_OK(kctl(KEYCTL_ASSUME_AUTHORITY, 0, 0, 0, 0), "ASSUME_AUTHORITY(0) drops none");

    /* /proc/keys */
    char line[512];
    proc_keys_line(k1, line, sizeof line);
    CHECK(strstr(line, " perm ") && strstr(line, "user      kt:one: 5") && strncmp(line + 9, "I--Q---", 7) == 0,
          "/proc/keys lists the key");
    proc_keys_line(ses, line, sizeof line);
    CHECK(strstr(line, "keyring   _ses: ") != NULL, "/proc/keys lists the session keyring");
    proc_keys_line(neg, line, sizeof line);
    (void)line;

    /* fork: same session, no process or thread keyring */
    key_serial_t in_child[3];
    int p[2];
    CHECK_OK(pipe(p), "pipe");
    pid_t c = fork();
    if (c == 0) {
        key_serial_t v[3];
        errno = 0;
        v[0] = ring_id(KEY_SPEC_THREAD_KEYRING, 0) == -1 && errno == ENOKEY;
        errno = 0;
        v[1] = ring_id(KEY_SPEC_PROCESS_KEYRING, 0) == -1 && errno == ENOKEY;
        v[2] = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
        write(p[1], v, sizeof v);
        _exit(0);
    }
    CHECK_EQ(read(p[0], in_child, sizeof in_child), (long)sizeof in_child, "the fork child reports");
    kt_check_exit(c, 0, "the fork child exits");
    CHECK(in_child[0], "a fork child has no thread keyring");
    CHECK(in_child[1], "a fork child has no process keyring");
    CHECK_EQ(in_child[2], ses, "a fork child shares the session keyring");

    /* threads: same process keyring, a thread keyring of their own */
    key_serial_t th[3];
    pthread_t pt;
    CHECK_OK(pthread_create(&pt, NULL, thread_ids, th), "pthread_create");
    pthread_join(pt, NULL);
    CHECK(th[0] > 0 && th[0] != tid, "a new thread gets a thread keyring of its own");
    CHECK_EQ(th[1], pid, "a thread shares the process keyring");
    CHECK_EQ(th[2], ses, "a thread shares the session keyring");

    /* exec: thread and process keyrings dropped, session kept */
    c = fork();
    if (c == 0) {
        char sesarg[16];
        snprintf(sesarg, sizeof sesarg, "%d", ses);
        ring_id(KEY_SPEC_PROCESS_KEYRING, 1);
        ring_id(KEY_SPEC_THREAD_KEYRING, 1);
        char *argv[] = {kt_self, "exec-check", sesarg, NULL};
        kt_exec(kt_self, argv, environ);
        _exit(99);
    }
    int st;
    kt_waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "after exec: no @t, no @p, the same @s");

    /* named session keyrings and SESSION_TO_PARENT */
    key_serial_t named = kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"kt-named-session", 0, 0, 0);
    CHECK(named > 0, "JOIN a named session keyring");
    snprintf(want, sizeof want, "keyring;%d;%d;3f130000;kt-named-session", getuid(), getgid());
    CHECK(describe(named, buf, sizeof buf) > 0 && strcmp(buf, want) == 0, "DESCRIBE the named session keyring");
    CHECK_ERR(kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)".builtin_trusted_keys", 0, 0, 0), EPERM, "a '.' name is EPERM");
    /* found by name only with Search for the caller's non-possessor mask (the default mask lacks it) */
    key_serial_t other = kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"kt-named-session", 0, 0, 0);
    CHECK(other > 0 && other != named, "joining a name whose keyring we may not search makes another");
    CHECK_OK(kctl(KEYCTL_SETPERM, other, 0x3f1b0000, 0, 0), "SETPERM: user Search");
    /* a keyring no task or link holds is collected: keep it linked from @p */
    CHECK_OK(kctl(KEYCTL_LINK, other, pid, 0, 0), "LINK the named keyring into @p");
    CHECK_OK(kctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0), "JOIN another anonymous session");
    CHECK_EQ(kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"kt-named-session", 0, 0, 0), other, "joining it again");
    named = other;
    CHECK_EQ(kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"kt-named-session", 0, 0, 0), 0, "joining the current session keyring gives 0");
    CHECK_OK(pipe(p), "pipe");
    c = fork();
    if (c == 0) {
        kctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
        key_serial_t again = kctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"kt-named-session", 0, 0, 0);
        key_serial_t fresh = kctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
        key_serial_t v[3] = {again, fresh, (key_serial_t)kctl(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0)};
        write(p[1], v, sizeof v);
        _exit(0);
    }
    key_serial_t v[3];
    CHECK_EQ(read(p[0], v, sizeof v), (long)sizeof v, "the child reports");
    kt_check_exit(c, 0, "the child exits");
    CHECK_EQ(v[0], named, "another process joins the same named keyring");
    CHECK_EQ(v[2], 0, "SESSION_TO_PARENT");
    CHECK_EQ(ring_id(KEY_SPEC_SESSION_KEYRING, 0), v[1], "the parent now has the child's session keyring");
}

/* Quotas, as a user of their own in a child: maxkeys and maxbytes (Ghost's
 * defaults, Linux's: 200 keys, 20000 bytes), EDQUOT past them, /proc/key-users. */
static void quotas(void)
{
    if (getuid() != 0) {
        kt_skip("quotas", "needs root to become another user");
        return;
    }
    IN_CHILD("EDQUOT at maxkeys and maxbytes", {
        uid_t uid = 54321;
        EXPECT(1, setgid(uid) == 0 && setuid(uid) == 0);
        EXPECT(2, kctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) > 0);
        char path[64], want[64], buf[65536];
        snprintf(want, sizeof want, "%5u: ", uid);
        unsigned used = 0, maxk = 0, bytes = 0, maxb = 0;
        ssize_t n = vt_get("/proc/key-users", buf, sizeof buf);
        char *line = n > 0 ? strstr(buf, want) : NULL;
        EXPECT(4, line && sscanf(line + 7, "%*d %*d/%*d %u/%u %u/%u", &used, &maxk, &bytes, &maxb) == 4);
        EXPECT(8, maxk == 200 && maxb == 20000);
        /* a payload too big for the bytes left */
        static char big[20000];
        errno = 0;
        EXPECT(16, add_key("user", "toobig", big, 19999, KEY_SPEC_SESSION_KEYRING) == -1 && errno == EDQUOT);
        /* fill the key count: one-byte payloads, short names */
        int made = 0, err = 0;
        for (int i = 0; i < 400; i++) {
            snprintf(path, sizeof path, "q%d", i);
            if (add_key("user", path, "x", 1, KEY_SPEC_SESSION_KEYRING) < 0) {
                err = errno;
                break;
            }
            made++;
        }
        EXPECT(32, err == EDQUOT && made > 0);
        n = vt_get("/proc/key-users", buf, sizeof buf);
        line = n > 0 ? strstr(buf, want) : NULL;
        EXPECT(64, line && sscanf(line + 7, "%*d %*d/%*d %u/%u", &used, &maxk) == 2 && used == maxk);
        (void)made;
    });
}

/* The quota tunables: Linux's defaults; under Ghost (its own settings, not
 * the host's) a lowered root_maxkeys gives EDQUOT, and a bad value EINVAL. */
static void tunables(void)
{
    char buf[64];
    struct { const char *name, *want; } t[] = {
        {"maxkeys", "200\n"}, {"maxbytes", "20000\n"}, {"root_maxkeys", "1000000\n"},
        {"root_maxbytes", "25000000\n"}, {"gc_delay", "300\n"},
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        char path[96];
        snprintf(path, sizeof path, "/proc/sys/kernel/keys/%s", t[i].name);
        ssize_t n = vt_get(path, buf, sizeof buf);
        kt_check(n > 0 && strcmp(buf, t[i].want) == 0, path, "read %zd bytes: %s", n, n > 0 ? buf : "");
    }
    if (!kt_ghost() || getuid() != 0)
        return;
    char users[4096], want[16];
    unsigned used = 0;
    snprintf(want, sizeof want, "%5u: ", 0);
    ssize_t n = vt_get("/proc/key-users", users, sizeof users);
    char *line = n > 0 ? strstr(users, want) : NULL;
    CHECK(line && sscanf(line + 7, "%*d %*d/%*d %u/", &used) == 1, "/proc/key-users has root's line");
    snprintf(buf, sizeof buf, "%u", used + 2);
    CHECK_OK(vt_put("/proc/sys/kernel/keys/root_maxkeys", buf, 0), "lower root_maxkeys");
    key_serial_t ses = ring_id(KEY_SPEC_SESSION_KEYRING, 0);
    CHECK(add_key("user", "kt:q1", "x", 1, ses) > 0 && add_key("user", "kt:q2", "x", 1, ses) > 0, "two keys fit");
    CHECK_ERR(add_key("user", "kt:q3", "x", 1, ses), EDQUOT, "a third is EDQUOT");
    CHECK_OK(vt_put("/proc/sys/kernel/keys/root_maxkeys", "1000000", 0), "restore root_maxkeys");
    CHECK(add_key("user", "kt:q3", "x", 1, ses) > 0, "it fits again");
    int fd = open("/proc/sys/kernel/keys/maxkeys", O_WRONLY);
    CHECK(fd >= 0 && write(fd, "0", 1) == -1 && errno == EINVAL, "maxkeys 0 is EINVAL");
    if (fd >= 0)
        close(fd);
}

/* big_key where the kernel has it (KEYCTL_CAPABILITIES says so); the host's may not. */
static void big_keys(void)
{
    unsigned char caps[2] = {0};
    kctl(KEYCTL_CAPABILITIES, (long)caps, sizeof caps, 0, 0);
    if (!(caps[0] & 0x10)) {
        CHECK_ERR(add_key("big_key", "kt:big", "x", 1, KEY_SPEC_SESSION_KEYRING), ENODEV, "no big_key type: ENODEV");
        return;
    }
    static char big[1 << 20], back[1 << 20];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    key_serial_t k = add_key("big_key", "kt:big", big, sizeof big - 1, KEY_SPEC_SESSION_KEYRING);
    CHECK(k > 0, "a 1 MiB - 1 big_key");
    CHECK(kctl(KEYCTL_READ, k, (long)back, sizeof back, 0) == (long)sizeof big - 1 && memcmp(big, back, sizeof big - 1) == 0,
          "READ gives it back");
    CHECK_ERR(add_key("big_key", "kt:big2", big, sizeof big, KEY_SPEC_SESSION_KEYRING), EINVAL, "1 MiB is EINVAL");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    if (argc == 3 && strcmp(argv[1], "exec-check") == 0)
        return exec_check(atoi(argv[2]));
    kt_watchdog(60);
    if (kt_qemu() && syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0) < 0 && errno == ENOSYS) {
        kt_skip("keys", "no keyctl here (qemu-user); the host runs this natively");
        return kt_done();
    }
    basics();
    big_keys();
    tunables();
    quotas();
    return kt_done();
}
