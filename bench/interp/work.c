/* bench/interp.ts's guest: a flat mix for the interpreter, without a kernel
   (no system calls; built freestanding and loaded at 0x10000): a bytecode
   interpreter loop (loads, a jump table, calls), string hashing with a
   multiply, an insertion sort, and a linked-list walk, forever. */
typedef unsigned long u64;
typedef unsigned char u8;
static u8 buf[4096];
static long arr[256];
struct node { struct node *next; long v; };
static struct node nodes[128];

__attribute__((noinline)) static u64 fnv(const u8 *p, int n) {
  u64 h = 1469598103934665603UL;
  for (int i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211UL; }
  return h;
}
__attribute__((noinline)) static void isort(long *a, int n) {
  for (int i = 1; i < n; i++) { long v = a[i]; int j = i - 1; while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; } a[j + 1] = v; }
}
__attribute__((noinline)) static long walk(struct node *n) { long s = 0; while (n) { s += n->v; n = n->next; } return s; }
__attribute__((noinline)) static long vm(const u8 *code, int n, long acc) {
  long stack[16]; int sp = 0;
  for (int pc = 0; pc < n; pc++) {
    switch (code[pc] & 7) {
    case 0: stack[sp++ & 15] = acc; break;
    case 1: acc += stack[--sp & 15]; break;
    case 2: acc ^= acc << 3; break;
    case 3: acc = (acc >> 1) + pc; break;
    case 4: if (acc & 1) acc++; break;
    case 5: acc *= 3; break;
    case 6: acc -= code[pc + 1]; break;
    default: acc = (int)acc + 7; break;
    }
  }
  return acc;
}
void _start(void) {
  for (int i = 0; i < 4096; i++) buf[i] = (u8)(i * 131 + 7);
  for (int i = 0; i < 128; i++) { nodes[i].v = i * 3; nodes[i].next = i < 127 ? &nodes[(i * 37 + 1) & 127] : 0; }
  long acc = 0;
  for (;;) {
    acc += fnv(buf, 512);
    for (int i = 0; i < 64; i++) arr[i] = (acc >> (i & 31)) ^ (i * 977);
    isort(arr, 64);
    acc += walk(&nodes[0]);
    acc = vm(buf, 1024, acc);
    __asm__ volatile("" :: "r"(acc));
  }
}
