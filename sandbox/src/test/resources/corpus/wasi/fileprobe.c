/*
 * File probe for the WASI policy tests: performs ONE file operation and prints one JSON line.
 *
 *   fileprobe OP PATH [ARG]
 *
 * {"op":"read","ok":true,"errno":0,"data":"..."}   errno is the WASI errno (wasi-libc uses the
 * same numbers), "data" is present only for read, stat, list and env.
 * Ops: read write create append truncate mkdir rmdir unlink rename symlink link stat list touch
 *      fdops (open read-only, then try every fd-level mutation through raw WASI calls)
 *      stale PATH LINK (open PATH, rename PATH away and LINK onto PATH, then fstat the old fd:
 *      "data" is its size, as if the fd now reached wherever LINK points)
 *      raw-open / raw-stat / raw-mkdir (call WASI directly on preopen fd 3, bypassing libc's
 *      own path checks), env NAME, spew N STREAM (N bytes, 0 = forever, to out|err).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static void json_string(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c < 0x20) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static int report(const char *op, int err, const char *data, size_t n) {
  printf("{\"op\":\"%s\",\"ok\":%s,\"errno\":%d", op, err == 0 ? "true" : "false", err);
  if (data != NULL) {
    printf(",\"data\":");
    json_string(data, n);
  }
  printf("}\n");
  return 0;
}

static int check(const char *op, int rc) { return report(op, rc < 0 ? errno : 0, NULL, 0); }

static int do_read(const char *path) {
  static char buf[4096];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return report("read", errno, NULL, 0);
  ssize_t n = read(fd, buf, sizeof buf);
  int err = n < 0 ? errno : 0;
  close(fd);
  return report("read", err, err ? NULL : buf, err ? 0 : (size_t)n);
}

static int do_write(const char *op, const char *path, int flags, const char *data) {
  int fd = open(path, flags, 0644);
  if (fd < 0) return report(op, errno, NULL, 0);
  ssize_t n = data ? write(fd, data, strlen(data)) : 0;
  int err = n < 0 ? errno : 0;
  close(fd);
  return report(op, err, NULL, 0);
}

static int do_stat(const char *path) {
  struct stat st;
  char size[32];
  if (stat(path, &st) < 0) return report("stat", errno, NULL, 0);
  snprintf(size, sizeof size, "%lld", (long long)st.st_size);
  return report("stat", 0, size, strlen(size));
}

static int do_list(const char *path) {
  static char names[4096];
  size_t used = 0;
  DIR *dir = opendir(path);
  if (dir == NULL) return report("list", errno, NULL, 0);
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    used += snprintf(names + used, sizeof names - used, "%s%s", used ? "," : "", e->d_name);
    if (used >= sizeof names) break;
  }
  closedir(dir);
  return report("list", 0, names, used);
}

static int do_fdops(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return report("fdops", errno, NULL, 0);
  char data[] = "x";
  __wasi_ciovec_t iov = {(const uint8_t *)data, 1};
  __wasi_size_t written;
  int results[5];
  results[0] = __wasi_fd_write(fd, &iov, 1, &written);
  results[1] = __wasi_fd_pwrite(fd, &iov, 1, 0, &written);
  results[2] = __wasi_fd_allocate(fd, 0, 10);
  results[3] = __wasi_fd_filestat_set_size(fd, 0);
  results[4] = __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM);
  close(fd);
  char list[64];
  snprintf(list, sizeof list, "%d,%d,%d,%d,%d", results[0], results[1], results[2], results[3],
           results[4]);
  return report("fdops", 0, list, strlen(list));
}

static int do_stale(const char *path, const char *link) {
  char moved[256];
  struct stat st;
  char size[32];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return report("stale", errno, NULL, 0);
  snprintf(moved, sizeof moved, "%s.moved", path);
  if (rename(path, moved) < 0 || rename(link, path) < 0) return report("stale", errno, NULL, 0);
  int rc = fstat(fd, &st);
  int err = rc < 0 ? errno : 0;
  snprintf(size, sizeof size, "%lld", (long long)st.st_size);
  return report("stale", err, err ? NULL : size, err ? 0 : strlen(size));
}

static int do_raw_open(const char *path) {
  __wasi_fd_t fd;
  int err = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, __WASI_RIGHTS_FD_READ,
                             0, 0, &fd);
  if (err == 0) (void)!__wasi_fd_close(fd);
  return report("raw-open", err, NULL, 0);
}

static int do_raw_stat(const char *path) {
  __wasi_filestat_t st;
  return report("raw-stat", __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path,
                                                     &st), NULL, 0);
}

static int do_env(const char *name) {
  const char *value = getenv(name);
  if (value == NULL) return report("env", ENOENT, NULL, 0);
  return report("env", 0, value, strlen(value));
}

static int do_spew(long long count, const char *stream) {
  FILE *out = strcmp(stream, "err") == 0 ? stderr : stdout;
  static char line[1024];
  memset(line, 'x', sizeof line - 1);
  line[sizeof line - 1] = '\n';
  for (long long i = 0; count == 0 || i < count; i += sizeof line) {
    fwrite(line, 1, sizeof line, out);
  }
  fflush(out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: fileprobe OP PATH [ARG]\n");
    return 2;
  }
  const char *op = argv[1], *path = argv[2], *arg = argc > 3 ? argv[3] : NULL;
  if (!strcmp(op, "read")) return do_read(path);
  if (!strcmp(op, "write")) return do_write(op, path, O_WRONLY | O_CREAT | O_TRUNC, arg);
  if (!strcmp(op, "create")) return do_write(op, path, O_WRONLY | O_CREAT | O_EXCL, arg);
  if (!strcmp(op, "append")) return do_write(op, path, O_WRONLY | O_APPEND, arg);
  if (!strcmp(op, "truncate")) return check(op, truncate(path, 0));
  if (!strcmp(op, "mkdir")) return check(op, mkdir(path, 0755));
  if (!strcmp(op, "rmdir")) return check(op, rmdir(path));
  if (!strcmp(op, "unlink")) return check(op, unlink(path));
  if (!strcmp(op, "rename")) return check(op, rename(path, arg));
  if (!strcmp(op, "symlink")) return check(op, symlink(path, arg));
  if (!strcmp(op, "link")) return check(op, link(path, arg));
  if (!strcmp(op, "touch")) return check(op, utimensat(AT_FDCWD, path, NULL, 0));
  if (!strcmp(op, "stat")) return do_stat(path);
  if (!strcmp(op, "list")) return do_list(path);
  if (!strcmp(op, "fdops")) return do_fdops(path);
  if (!strcmp(op, "stale")) return do_stale(path, arg);
  if (!strcmp(op, "raw-open")) return do_raw_open(path);
  if (!strcmp(op, "raw-stat")) return do_raw_stat(path);
  if (!strcmp(op, "raw-mkdir")) return report(op, __wasi_path_create_directory(3, path), NULL, 0);
  if (!strcmp(op, "env")) return do_env(path);
  if (!strcmp(op, "spew")) return do_spew(atoll(path), arg ? arg : "out");
  fprintf(stderr, "unknown op %s\n", op);
  return 2;
}
