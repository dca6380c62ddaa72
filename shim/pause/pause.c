/* airlock-pause: the infra process of a pod sandbox. It holds the pod's namespaces open by
 * existing, sleeps, and, as PID 1 of a shared pid namespace, reaps orphans so they do not
 * pile up as zombies. Static and tiny: one per pod. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  /* SIGCHLD coalesces: reap every exited child, never block. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static int install(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  /* SA_NOCLDSTOP: a stopped child is not an exited child. */
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char** argv) {
  static const char kUsage[] =
      "usage: airlock-pause  (airlock pod infra process: sleeps until SIGINT/SIGTERM, reaps "
      "children)\n";
  if (argc > 1) {
    int asked = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "--version") == 0 ||
                strcmp(argv[1], "-h") == 0;
    (void)!write(asked ? STDOUT_FILENO : STDERR_FILENO, kUsage, sizeof kUsage - 1);
    return asked ? 0 : 2;
  }
  /* As PID 1 of a namespace, signals without a handler are dropped by the kernel, so these
   * handlers are what makes SIGTERM from `runc kill` work at all. */
  if (install(SIGINT, on_stop) != 0 || install(SIGTERM, on_stop) != 0 ||
      install(SIGCHLD, on_child) != 0) {
    perror("airlock-pause: sigaction");
    return 1;
  }
  /* Children that exited before the handler was installed. */
  on_child(SIGCHLD);
  for (;;) pause();
}
