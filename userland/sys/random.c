/* random.c - getrandom. */
#include "ktest.h"
#include <sys/random.h>

static long raw_getrandom(void *buf, long len, unsigned flags)
{
    return syscall(SYS_getrandom, buf, len, flags);
}

int main(void)
{
    unsigned char a[64], b[64], zero[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);

    CHECK_EQ(raw_getrandom(a, sizeof a, 0), 64, "getrandom 64 bytes, flags 0");
    CHECK_EQ(raw_getrandom(b, sizeof b, 0), 64, "getrandom again");
    CHECK(memcmp(a, zero, sizeof a) != 0, "random bytes are not all zero");
    CHECK(memcmp(a, b, sizeof a) != 0, "two calls return different bytes");
    CHECK_EQ(raw_getrandom(a, sizeof a, GRND_NONBLOCK), 64, "GRND_NONBLOCK");
    CHECK_EQ(raw_getrandom(a, sizeof a, GRND_RANDOM), 64, "GRND_RANDOM");
    CHECK_EQ(raw_getrandom(a, sizeof a, GRND_RANDOM | GRND_NONBLOCK), 64, "GRND_RANDOM|GRND_NONBLOCK");
    CHECK_EQ(raw_getrandom(a, sizeof a, 0x4 /* GRND_INSECURE */), 64, "GRND_INSECURE");
    CHECK_EQ(raw_getrandom(a, 0, 0), 0, "a zero-length request returns 0");
    CHECK_EQ(raw_getrandom(a, 1, 0), 1, "a one-byte request");

    CHECK_ERR(raw_getrandom(a, sizeof a, 0x100), EINVAL, "unknown flag bits are EINVAL");
    CHECK_ERR(raw_getrandom(a, sizeof a, 0x4 | GRND_RANDOM), EINVAL, "GRND_INSECURE|GRND_RANDOM is EINVAL");
    CHECK_ERR(raw_getrandom(KT_BAD_PTR, 16, 0), EFAULT, "bad buffer pointer is EFAULT");

    /* a larger request; also sanity-check the bit balance */
    static unsigned char big[1 << 16];
    long got = raw_getrandom(big, sizeof big, 0);
    CHECK_EQ(got, (long)sizeof big, "a 64 KiB request is fully satisfied");
    long ones = 0;
    for (size_t i = 0; i < sizeof big; i++)
        ones += __builtin_popcount(big[i]);
    long bits = (long)sizeof big * 8;
    kt_check(ones > bits / 2 - bits / 50 && ones < bits / 2 + bits / 50, "about half of the bits are set",
             "%ld of %ld bits set", ones, bits);

    CHECK_EQ(getrandom(b, 32, 0), 32, "libc getrandom");
    CHECK_EQ(getentropy(b, 32), 0, "libc getentropy");
    return kt_done();
}
