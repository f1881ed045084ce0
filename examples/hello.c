/*
 * A Capsule task in C: argv = [task_name, arg...]; the JSON printed on stdout is the result.
 * Rebuild hello.wasm (clang 14 + Debian's wasi-libc):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o examples/hello.wasm examples/hello.c
 * Run it:
 *   ./capsule run examples/hello.wasm Ada
 */
#include <stdio.h>
#include <string.h>

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    putchar(*s);
  }
  putchar('"');
}

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "world";
  if (strlen(name) == 0) {
    fprintf(stderr, "name must not be empty\n");
    return 2;
  }
  printf("{\"greeting\":");
  print_json_string("Hello, ");
  printf(",\"name\":");
  print_json_string(name);
  printf(",\"task\":");
  print_json_string(argv[0]);
  printf("}\n");
  return 0;
}
