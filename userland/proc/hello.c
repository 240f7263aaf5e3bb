/* hello.c - the smallest possible program: printf through stdio. */
#include <stdio.h>

int main(void)
{
    int n = printf("hello, world\n");
    printf("%s - printf returned %d\n", n == 13 ? "ok" : "not ok", n);
    return n == 13 ? 0 : 1;
}
