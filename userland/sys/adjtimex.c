/* adjtimex.c - adjtimex(2) and clock_adjtime(2) as Linux's do_adjtimex:
 * reading the NTP state needs no privilege; changing it needs CAP_SYS_TIME
 * (EPERM), adjtime()'s ADJ_ADJTIME bit goes only with ADJ_OFFSET_SINGLESHOT
 * (EINVAL), an out-of-range tick is EINVAL; values set read back with
 * Linux's scaling (the time constant +4 in microsecond mode, the frequency
 * through PPM_SCALE, the PLL offset in the same call); ADJ_SETOFFSET steps
 * CLOCK_REALTIME; ADJ_TAI moves CLOCK_TAI; clock_adjtime of a clock without
 * adjustment is EOPNOTSUPP, of a clock that does not exist EINVAL.
 *
 * The checks that change the state run only under Ghost (its clock is its
 * own): under qemu-riscv64 the program runs as the host's root, and the
 * host's clock must never be touched. */
#include "ktest.h"
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>

#define ADJ_ADJTIME_BIT 0x8000 /* the kernel's ADJ_ADJTIME */

static int on_ghost(void)
{
    struct utsname u;
    return uname(&u) == 0 && strstr(u.release, "ghost") != NULL;
}

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check_read_only(void)
{
    struct timex t;
    memset(&t, 0, sizeof t);
    int r = adjtimex(&t);
    kt_check(r >= TIME_OK && r <= TIME_ERROR, "adjtimex(modes 0) returns a clock state", "got %d errno %d", r, errno);
    CHECK_EQ(t.tick, 1000000 / sysconf(_SC_CLK_TCK), "tick is 1e6/USER_HZ usec");
    CHECK_EQ(t.tolerance, 32768000, "tolerance is MAXFREQ in scaled ppm (500 ppm << 16)");
    CHECK_EQ(t.precision, 1, "precision is 1");
    kt_check(t.maxerror >= 0 && t.maxerror <= 16000000, "maxerror within NTP_PHASE_LIMIT", "got %ld", t.maxerror);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    kt_check(t.time.tv_sec >= tv.tv_sec - 2 && t.time.tv_sec <= tv.tv_sec, "timex.time is the wall time", "%ld vs %ld",
             (long)t.time.tv_sec, (long)tv.tv_sec);

    memset(&t, 0, sizeof t);
    t.modes = ADJ_ADJTIME_BIT;
    CHECK_ERR(adjtimex(&t), EINVAL, "ADJ_ADJTIME without ADJ_OFFSET_SINGLESHOT is EINVAL");
    CHECK_EQ(t.tai, 0, "... and the struct is left as it was");
    memset(&t, 0, sizeof t);
    t.modes = ADJ_OFFSET_SS_READ;
    r = adjtimex(&t);
    kt_check(r >= TIME_OK && r <= TIME_ERROR, "ADJ_OFFSET_SS_READ reads adjtime()'s pending adjustment", "got %d", r);
    CHECK_ERR(syscall(SYS_adjtimex, KT_BAD_PTR), EFAULT, "adjtimex with a bad pointer is EFAULT");

    memset(&t, 0, sizeof t);
    r = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t);
    kt_check(r >= TIME_OK && r <= TIME_ERROR, "clock_adjtime(CLOCK_REALTIME, modes 0) reads the state", "got %d errno %d", r, errno);
    memset(&t, 0, sizeof t);
    CHECK_ERR(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &t), EOPNOTSUPP, "clock_adjtime(CLOCK_MONOTONIC) is EOPNOTSUPP");
    CHECK_ERR(syscall(SYS_clock_adjtime, 10, &t), EINVAL, "clock_adjtime of clock 10 (none) is EINVAL");
    CHECK_ERR(syscall(SYS_clock_adjtime, CLOCK_REALTIME, KT_BAD_PTR), EFAULT, "clock_adjtime with a bad pointer is EFAULT");

    IN_CHILD("without CAP_SYS_TIME: reading works, changing is EPERM", {
        EXPECT(1, setresuid(65534, 65534, 65534) == 0);
        struct timex u;
        memset(&u, 0, sizeof u);
        EXPECT(2, adjtimex(&u) >= 0);
        u.modes = ADJ_MAXERROR;
        EXPECT(4, adjtimex(&u) == -1 && errno == EPERM);
        memset(&u, 0, sizeof u);
        u.modes = ADJ_OFFSET_SINGLESHOT;
        EXPECT(8, adjtimex(&u) == -1 && errno == EPERM);
        memset(&u, 0, sizeof u);
        u.modes = ADJ_OFFSET_SS_READ;
        EXPECT(16, adjtimex(&u) >= 0);
        u.modes = ADJ_SETOFFSET;
        EXPECT(32, adjtimex(&u) == -1 && errno == EPERM);
    });
}

static void check_changes(void)
{
    struct timex t;
    long hz = sysconf(_SC_CLK_TCK);
    memset(&t, 0, sizeof t);
    t.modes = ADJ_TICK;
    t.tick = 900000 / hz - 1;
    CHECK_ERR(adjtimex(&t), EINVAL, "a tick 10% too short is EINVAL");
    t.tick = 1100000 / hz + 1;
    CHECK_ERR(adjtimex(&t), EINVAL, "a tick 10% too long is EINVAL");
    t.tick = 1000000 / hz + 5;
    CHECK(adjtimex(&t) >= 0 && t.tick == 1000000 / hz + 5, "ADJ_TICK in range is kept");

    memset(&t, 0, sizeof t);
    t.modes = ADJ_MAXERROR | ADJ_ESTERROR | ADJ_FREQUENCY | ADJ_TIMECONST | ADJ_STATUS;
    t.maxerror = 12345;
    t.esterror = 678;
    t.freq = 250 + (3 << 16);
    t.constant = 2;
    t.status = STA_PLL;
    int r = adjtimex(&t);
    CHECK_EQ(r, TIME_OK, "with STA_UNSYNC cleared the state is TIME_OK");
    CHECK_EQ(t.maxerror, 12345, "ADJ_MAXERROR reads back");
    CHECK_EQ(t.esterror, 678, "ADJ_ESTERROR reads back");
    CHECK_EQ(t.freq, 250 + (3 << 16), "ADJ_FREQUENCY reads back through PPM_SCALE");
    CHECK_EQ(t.constant, 6, "ADJ_TIMECONST in microsecond mode is stored 4 higher");
    CHECK_EQ(t.status & (STA_PLL | STA_UNSYNC), STA_PLL, "ADJ_STATUS sets STA_PLL and clears STA_UNSYNC");
    t.modes = ADJ_MAXERROR;
    t.maxerror = 99999999;
    CHECK(adjtimex(&t) >= 0 && t.maxerror == 16000000, "maxerror is clamped to NTP_PHASE_LIMIT");
    t.modes = ADJ_FREQUENCY;
    t.freq = 1L << 35;
    CHECK(adjtimex(&t) >= 0 && t.freq == 32768000, "the frequency is clamped to MAXFREQ");
    t.modes = ADJ_FREQUENCY;
    t.freq = 0;
    adjtimex(&t);

    memset(&t, 0, sizeof t);
    t.modes = ADJ_OFFSET;
    t.offset = 400;
    CHECK(adjtimex(&t) >= 0 && t.offset == 400, "ADJ_OFFSET with the PLL on reads back in the same call (usec)");
    t.modes = ADJ_NANO;
    CHECK(adjtimex(&t) >= 0 && (t.status & STA_NANO), "ADJ_NANO sets STA_NANO");
    kt_check(t.offset > 0 && t.offset <= 400000, "the offset now reads in ns", "got %ld", t.offset);
    t.modes = ADJ_MICRO;
    CHECK(adjtimex(&t) >= 0 && !(t.status & STA_NANO), "ADJ_MICRO clears it");
    t.modes = ADJ_STATUS;
    t.status = 0;
    /* process_adj_status: the reset to STA_UNSYNC is then masked to the read-only bits like the rest. */
    CHECK(adjtimex(&t) == TIME_OK && t.status == 0, "turning the PLL off resets the status (to 0: STA_UNSYNC is not read-only)");
    t.modes = ADJ_OFFSET;
    t.offset = 300;
    CHECK(adjtimex(&t) >= 0 && t.offset != 300, "ADJ_OFFSET with the PLL off is ignored");
    t.modes = ADJ_STATUS;
    t.status = STA_UNSYNC;
    CHECK(adjtimex(&t) == TIME_ERROR, "STA_UNSYNC makes the state TIME_ERROR");

    memset(&t, 0, sizeof t);
    t.modes = ADJ_OFFSET_SINGLESHOT;
    t.offset = 100000;
    CHECK(adjtimex(&t) >= 0 && t.offset == 0, "ADJ_OFFSET_SINGLESHOT returns the adjustment pending before");
    memset(&t, 0, sizeof t);
    t.modes = ADJ_OFFSET_SS_READ;
    kt_check(adjtimex(&t) >= 0 && t.offset > 0 && t.offset <= 100000, "ADJ_OFFSET_SS_READ reads what is left of it",
             "got %ld", t.offset);
    t.modes = ADJ_OFFSET_SINGLESHOT;
    t.offset = 0;
    adjtimex(&t);

    long long r0 = now_ns(CLOCK_REALTIME), m0 = now_ns(CLOCK_MONOTONIC);
    memset(&t, 0, sizeof t);
    t.modes = ADJ_SETOFFSET;
    t.time.tv_sec = 100;
    t.time.tv_usec = 0;
    CHECK(adjtimex(&t) >= 0, "ADJ_SETOFFSET +100 s");
    long long step = (now_ns(CLOCK_REALTIME) - r0) - (now_ns(CLOCK_MONOTONIC) - m0);
    kt_check(step > 99000000000LL && step < 101000000000LL, "CLOCK_REALTIME moved 100 s against CLOCK_MONOTONIC",
             "moved %lld ns", step);
    t.modes = ADJ_SETOFFSET | ADJ_NANO;
    t.time.tv_sec = -101;
    t.time.tv_usec = 1000000000 - 1;
    CHECK(adjtimex(&t) >= 0, "ADJ_SETOFFSET|ADJ_NANO back (tv_usec read as ns)");
    t.modes = ADJ_SETOFFSET;
    t.time.tv_sec = 0;
    t.time.tv_usec = 1000000;
    CHECK_ERR(adjtimex(&t), EINVAL, "ADJ_SETOFFSET with tv_usec = 1e6 is EINVAL");
    t.modes = ADJ_SETOFFSET;
    t.time.tv_sec = -(r0 / 1000000000LL) - 1000000;
    t.time.tv_usec = 0;
    CHECK_ERR(adjtimex(&t), EINVAL, "ADJ_SETOFFSET before boot is EINVAL");
    t.modes = ADJ_MICRO;
    adjtimex(&t);

    memset(&t, 0, sizeof t);
    t.modes = ADJ_TAI;
    t.constant = 40;
    CHECK(adjtimex(&t) >= 0 && t.tai == 40, "ADJ_TAI sets the TAI offset");
    long long d = now_ns(CLOCK_TAI) - now_ns(CLOCK_REALTIME);
    kt_check(d > 39500000000LL && d < 40500000000LL, "CLOCK_TAI is CLOCK_REALTIME + 40 s", "differ by %lld ns", d);
    t.modes = ADJ_TAI;
    t.constant = -1;
    CHECK(adjtimex(&t) >= 0 && t.tai == 40, "a negative TAI offset is ignored");
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    alarm(60);
    check_read_only();
    if (on_ghost() && !kt_qemu())
        check_changes();
    else
        kt_skip("adjtimex changes of the NTP state", "only under Ghost: the host's clock is not to be changed");
    return kt_done();
}
