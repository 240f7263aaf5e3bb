/*
 * interp.c - CPU benchmark: a small stack-based bytecode interpreter with
 * switch dispatch, running a program that counts primes by trial division
 * and then sums Fibonacci numbers modulo a prime.
 *
 *   interp [LIMIT]     (default 50000: primes below LIMIT, LIMIT*40 Fibonacci steps)
 *
 * Prints the results; every platform must print the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    OP_PUSH,  /* push imm */
    OP_LOAD,  /* push var[imm] */
    OP_STORE, /* var[imm] = pop */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_MOD,
    OP_LT,   /* push (a < b) */
    OP_LE,
    OP_EQ,
    OP_JMP,  /* pc = imm */
    OP_JZ,   /* if pop == 0: pc = imm */
    OP_JNZ,
    OP_INC,  /* var[imm]++ */
    OP_DUP,
    OP_POP,
    OP_PRINT, /* record pop as output */
    OP_HALT,
};

typedef struct {
    uint8_t op;
    int32_t imm;
} insn;

static int64_t outputs[8];
static int noutputs;

static uint64_t run(const insn *code, int64_t *vars)
{
    int64_t stack[64];
    int sp = 0;
    int pc = 0;
    uint64_t steps = 0;
    for (;;) {
        const insn *i = &code[pc++];
        steps++;
        switch (i->op) {
        case OP_PUSH:
            stack[sp++] = i->imm;
            break;
        case OP_LOAD:
            stack[sp++] = vars[i->imm];
            break;
        case OP_STORE:
            vars[i->imm] = stack[--sp];
            break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_MOD:
            sp--;
            stack[sp - 1] %= stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_LE:
            sp--;
            stack[sp - 1] = stack[sp - 1] <= stack[sp];
            break;
        case OP_EQ:
            sp--;
            stack[sp - 1] = stack[sp - 1] == stack[sp];
            break;
        case OP_JMP:
            pc = i->imm;
            break;
        case OP_JZ:
            if (stack[--sp] == 0)
                pc = i->imm;
            break;
        case OP_JNZ:
            if (stack[--sp] != 0)
                pc = i->imm;
            break;
        case OP_INC:
            vars[i->imm]++;
            break;
        case OP_DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case OP_POP:
            sp--;
            break;
        case OP_PRINT:
            if (noutputs < 8)
                outputs[noutputs++] = stack[--sp];
            else
                sp--;
            break;
        case OP_HALT:
            return steps;
        default:
            fprintf(stderr, "bad opcode %d at %d\n", i->op, pc - 1);
            exit(1);
        }
    }
}

/* variables */
enum { V_N, V_LIMIT, V_D, V_COUNT, V_A, V_B, V_T, V_I, V_STEPS, V_SUM };

int main(int argc, char **argv)
{
    long limit = argc > 1 ? atol(argv[1]) : 50000;
    if (limit < 3 || limit > 100000000) {
        fprintf(stderr, "usage: interp [LIMIT]\n");
        return 2;
    }
    /* Label addresses are written out by hand; see the comments. */
    static const insn prog[] = {
        /* count = 0; n = 2 */
        /* 0 */ {OP_PUSH, 0}, {OP_STORE, V_COUNT}, {OP_PUSH, 2}, {OP_STORE, V_N},
        /* outer: 4: if !(n < limit) goto done_primes */
        /* 4 */ {OP_LOAD, V_N}, {OP_LOAD, V_LIMIT}, {OP_LT, 0}, {OP_JZ, 31},
        /* d = 2 */
        /* 8 */ {OP_PUSH, 2}, {OP_STORE, V_D},
        /* inner: 10: if !(d*d <= n) goto is_prime */
        /* 10 */ {OP_LOAD, V_D}, {OP_LOAD, V_D}, {OP_MUL, 0}, {OP_LOAD, V_N}, {OP_LE, 0}, {OP_JZ, 26},
        /* if n % d == 0 goto next_n */
        /* 16 */ {OP_LOAD, V_N}, {OP_LOAD, V_D}, {OP_MOD, 0}, {OP_PUSH, 0}, {OP_EQ, 0}, {OP_JNZ, 28},
        /* d++; goto inner */
        /* 22 */ {OP_INC, V_D}, {OP_JMP, 10}, {OP_HALT, 0}, {OP_HALT, 0},
        /* is_prime: 26: count++ */
        /* 26 */ {OP_INC, V_COUNT}, {OP_JMP, 28},
        /* next_n: 28: n++; goto outer */
        /* 28 */ {OP_INC, V_N}, {OP_JMP, 4}, {OP_HALT, 0},
        /* done_primes: 31: print count */
        /* 31 */ {OP_LOAD, V_COUNT}, {OP_PRINT, 0},
        /* fib: a = 0; b = 1; i = 0; sum = 0 */
        /* 33 */ {OP_PUSH, 0}, {OP_STORE, V_A}, {OP_PUSH, 1}, {OP_STORE, V_B},
        /* 37 */ {OP_PUSH, 0}, {OP_STORE, V_I}, {OP_PUSH, 0}, {OP_STORE, V_SUM},
        /* floop: 41: if !(i < steps) goto done */
        /* 41 */ {OP_LOAD, V_I}, {OP_LOAD, V_STEPS}, {OP_LT, 0}, {OP_JZ, 66},
        /* t = (a + b) % 1000000007 */
        /* 45 */ {OP_LOAD, V_A}, {OP_LOAD, V_B}, {OP_ADD, 0}, {OP_PUSH, 1000000007}, {OP_MOD, 0}, {OP_STORE, V_T},
        /* a = b; b = t */
        /* 51 */ {OP_LOAD, V_B}, {OP_STORE, V_A}, {OP_LOAD, V_T}, {OP_STORE, V_B},
        /* sum = (sum * 31 + t) % 998244353 */
        /* 55 */ {OP_LOAD, V_SUM}, {OP_PUSH, 31}, {OP_MUL, 0}, {OP_LOAD, V_T}, {OP_ADD, 0}, {OP_PUSH, 998244353},
        /* 61 */ {OP_MOD, 0}, {OP_STORE, V_SUM},
        /* i++; goto floop */
        /* 63 */ {OP_INC, V_I}, {OP_JMP, 41}, {OP_HALT, 0},
        /* done: 66 */
        /* 66 */ {OP_LOAD, V_B}, {OP_PRINT, 0}, {OP_LOAD, V_SUM}, {OP_PRINT, 0}, {OP_HALT, 0},
    };
    int64_t vars[16] = {0};
    vars[V_LIMIT] = limit;
    vars[V_STEPS] = limit * 40;
    uint64_t steps = run(prog, vars);
    if (noutputs != 3) {
        fprintf(stderr, "interp: expected 3 outputs, got %d\n", noutputs);
        return 1;
    }
    printf("interp limit=%ld primes=%lld fib=%lld fibsum=%lld steps=%llu\n", limit, (long long)outputs[0],
           (long long)outputs[1], (long long)outputs[2], (unsigned long long)steps);
    return 0;
}
