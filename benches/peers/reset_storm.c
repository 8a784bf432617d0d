/* A storm of refused TCP connections, for the benchmarks only (never
 * installed or shipped; benches/resets_storm.sh builds it with `cc -O2` and
 * runs it in a private network namespace).
 *
 *   reset_storm RATE SECONDS PORT ADDRESSES
 *
 * Makes RATE connect()s a second for SECONDS seconds to PORT, where nothing
 * listens, on 127.0.0.1 .. 127.0.0.ADDRESSES in turn (loopback only). The
 * kernel answers each SYN with a reset (tcp_v4_send_reset(), reason
 * NO_SOCKET on 6.10+) and the connecting socket receives it, so each
 * connect() is one reset sent and one received. Paced on CLOCK_MONOTONIC
 * in 1 ms steps: at each step it catches up to RATE x elapsed, so the rate
 * holds on average and no burst is longer than 1 ms of connections (after
 * a stall, the missed ones come at once).
 *
 * Prints one line of key=value words when done:
 *   attempted=N refused=N other_errors=N wall_ns=N cpu_ns=N
 * (cpu_ns: this process's user + system time, getrusage). Exit 0, or 2 on
 * bad arguments, 1 when a socket cannot be made. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long ns_of(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ns_of(t);
}

static long positive(const char *s, long max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end || end == s || v < 1 || v > max) ? -1 : v;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: reset_storm RATE SECONDS PORT ADDRESSES\n");
        return 2;
    }
    long rate = positive(argv[1], 1000000), seconds = positive(argv[2], 3600);
    long port = positive(argv[3], 65535), addresses = positive(argv[4], 254);
    if (rate < 0 || seconds < 0 || port < 0 || addresses < 0) {
        fprintf(stderr, "reset_storm: RATE 1..1000000, SECONDS 1..3600, PORT 1..65535, ADDRESSES 1..254\n");
        return 2;
    }
    long long total = (long long)rate * seconds, attempted = 0, refused = 0, other = 0;
    long long start = mono_ns(), span = seconds * 1000000000LL;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    while (attempted < total) {
        long long elapsed = mono_ns() - start;
        long long due = elapsed >= span ? total : (long long)((__int128)total * elapsed / span);
        for (; attempted < due; attempted++) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                perror("reset_storm: socket");
                return 1;
            }
            to.sin_addr.s_addr = htonl(0x7f000001u + (unsigned)(attempted % addresses));
            if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
                other++; /* something listens there after all */
            else if (errno == ECONNREFUSED)
                refused++;
            else
                other++;
            close(fd);
        }
        /* the next 1 ms step */
        long long next = start + (elapsed / 1000000 + 1) * 1000000;
        struct timespec at = {next / 1000000000LL, next % 1000000000LL};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    }
    long long wall = mono_ns() - start;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("attempted=%lld refused=%lld other_errors=%lld wall_ns=%lld cpu_ns=%lld\n", attempted, refused,
           other, wall, cpu);
    return 0;
}
