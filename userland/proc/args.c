/*
 * args.c - argc/argv/envp passing. The test runner invokes it as
 *
 *   GHOST_ARGS_TEST='x=y z' args alpha 'beta gamma' '' 'δelta-ünïcode' --flag=1
 */
#include "ktest.h"

extern char **environ;

static const char *const want_args[] = {"alpha", "beta gamma", "", "\xce\xb4" "elta-\xc3\xbcn\xc3\xaf" "code", "--flag=1"};
#define NWANT ((int)(sizeof want_args / sizeof want_args[0]))

int main(int argc, char **argv, char **envp)
{
    kt_check(argc == NWANT + 1, "argc", "got %d want %d (run as: args alpha 'beta gamma' '' 'δelta-ünïcode' --flag=1)",
             argc, NWANT + 1);
    CHECK(argv[0] != NULL && argv[0][0] != 0, "argv[0] is the program name");
    if (argv[0]) {
        const char *base = strrchr(argv[0], '/');
        CHECK_STR(base ? base + 1 : argv[0], "args", "argv[0] names this program");
    }
    for (int i = 0; i < NWANT && i + 1 < argc; i++) {
        char desc[64];
        snprintf(desc, sizeof desc, "argv[%d]", i + 1);
        CHECK_STR(argv[i + 1], want_args[i], desc);
    }
    CHECK(argv[argc] == NULL, "argv[argc] is NULL");

    /* Linux packs the strings back to back */
    int packed = 1;
    for (int i = 0; i + 1 < argc; i++)
        packed &= argv[i + 1] == argv[i] + strlen(argv[i]) + 1;
    CHECK(packed, "argument strings are contiguous");
    if (envp[0])
        CHECK(envp[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1, "environment strings follow the arguments");

    CHECK(envp == environ, "main's envp is environ");
    int found = 0, nenv = 0;
    for (char **e = envp; *e; e++, nenv++) {
        if (strcmp(*e, "GHOST_ARGS_TEST=x=y z") == 0)
            found++;
        if (!strchr(*e, '='))
            kt_fail("every environment string has an '='", "got \"%s\"", *e);
    }
    CHECK_EQ(found, 1, "GHOST_ARGS_TEST=x=y z is in envp exactly once");
    CHECK_STR(getenv("GHOST_ARGS_TEST"), "x=y z", "getenv(GHOST_ARGS_TEST)");
    CHECK(getenv("PATH") != NULL, "PATH is passed through");
    kt_printf("# %d environment variables\n", nenv);
    return kt_done();
}
