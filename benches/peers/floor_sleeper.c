/* A CPU floor for the benchmarks only (never installed or shipped): the
 * least a sampling process can cost per sample on this machine.
 *
 *   floor_sleeper 0   wake on the next wall-clock second with one ppoll,
 *                     write one short line; nothing else
 *   floor_sleeper 1   the same, plus one pread of /proc/net/snmp and one of
 *                     /proc/net/netstat (the kernel's cost of the text)
 *
 * benches/measure.sh builds it with `cc -O2` and runs it beside the plugin
 * and the peers, reading its CPU time the same way. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int read_files = argc > 1 && atoi(argv[1]) == 1;
    int snmp = open("/proc/net/snmp", O_RDONLY | O_CLOEXEC);
    int netstat = open("/proc/net/netstat", O_RDONLY | O_CLOEXEC);
    static char buf[64 * 1024];
    static const char line[] = "BEGIN tcp_resets.resets\n";
    if (read_files && (snmp < 0 || netstat < 0))
        return 1;
    for (;;) {
        if (read_files) {
            if (pread(snmp, buf, sizeof buf, 0) < 0 || pread(netstat, buf, sizeof buf, 0) < 0)
                return 1;
        }
        if (write(1, line, sizeof line - 1) < 0)
            return 0;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct timespec wait = {0, 1000000000L - now.tv_nsec};
        if (wait.tv_nsec >= 1000000000L) {
            wait.tv_sec = 1;
            wait.tv_nsec -= 1000000000L;
        }
        ppoll(NULL, 0, &wait, NULL);
    }
}
