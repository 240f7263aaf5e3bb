/*
 * sort.c - CPU benchmark: quicksort and mergesort of pseudo-random 64-bit
 * integers, several rounds.
 *
 *   sort [N]     (default 1500000 elements; 4 rounds, alternating algorithms)
 *
 * Prints a checksum of the sorted data; every platform must print the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t next_rand(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void insertion(int64_t *a, long n)
{
    for (long i = 1; i < n; i++) {
        int64_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quicksort(int64_t *a, long n)
{
    while (n > 16) {
        /* median of three */
        int64_t x = a[0], y = a[n / 2], z = a[n - 1];
        int64_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i >= j)
                break;
            int64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller half, loop on the larger */
        long left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion(a, n);
}

static void mergesort_rec(int64_t *a, int64_t *tmp, long n)
{
    if (n <= 16) {
        insertion(a, n);
        return;
    }
    long h = n / 2;
    mergesort_rec(a, tmp, h);
    mergesort_rec(a + h, tmp, n - h);
    if (a[h - 1] <= a[h])
        return;
    memcpy(tmp, a, h * sizeof *a);
    long i = 0, j = h, k = 0;
    while (i < h && j < n)
        a[k++] = tmp[i] <= a[j] ? tmp[i++] : a[j++];
    while (i < h)
        a[k++] = tmp[i++];
}

static uint64_t checksum(const int64_t *a, long n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (long i = 0; i < n; i++) {
        h ^= (uint64_t)a[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1500000;
    if (n <= 1) {
        fprintf(stderr, "usage: sort [N]\n");
        return 2;
    }
    int64_t *a = malloc(n * sizeof *a), *tmp = malloc(n * sizeof *a);
    uint64_t total = 0;
    rng_state = 12345;
    for (int round = 0; round < 4; round++) {
        for (long i = 0; i < n; i++) {
            uint64_t r = next_rand();
            /* round 2 has many duplicates */
            a[i] = (int64_t)(round == 2 ? r % 1000 : r);
        }
        if (round % 2 == 0)
            quicksort(a, n);
        else
            mergesort_rec(a, tmp, n);
        for (long i = 1; i < n; i++) {
            if (a[i - 1] > a[i]) {
                fprintf(stderr, "round %d: not sorted at %ld\n", round, i);
                return 1;
            }
        }
        total = total * 31 + checksum(a, n);
    }
    printf("sort n=%ld rounds=4 checksum=%016llx\n", n, (unsigned long long)total);
    free(a);
    free(tmp);
    return 0;
}
