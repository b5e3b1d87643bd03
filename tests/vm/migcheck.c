/* migcheck: the guest side of tests/vm/iovs_migrate.sh, a static program run
 * inside the test guests (busybox has no UDP tool and no packet capture).
 *
 *   migcheck send ADDR PORT PPS SIZE SECONDS STATSFILE
 *       UDP datagrams of SIZE bytes at PPS for SECONDS (or until SIGTERM): a
 *       header (magic, seq) and bytes that are a function of seq and their
 *       offset. Writes "seq N" (the next one) to STATSFILE once a second;
 *       prints "sent N errors E" at the end.
 *   migcheck recv PORT SIZE STATSFILE
 *       receives such datagrams until SIGTERM and checks each one: length,
 *       header, every byte. Rewrites STATSFILE once a second and at the end:
 *       "received R bad B dup D first F last L maxgap G" (maxgap: the largest
 *       jump of seq between two datagrams in a row, 1 when none was lost).
 *       Reads nothing while stopped (SIGSTOP): datagrams then wait in the
 *       socket, in the guest pages the back-end wrote them to. At the end,
 *       STATSFILE.ranges lists the runs of seq received ("A-B" per line).
 *   migcheck rarp IFACE STATSFILE
 *       counts RARP frames (ethertype 0x8035) on IFACE until SIGTERM; writes
 *       "rarp N last MAC" to STATSFILE after each one.
 * Exit status: 0, or 1 on a usage or system error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC	 0x494f5653u /* "IOVS" */
#define MAX_SIZE 9000
#define MAX_SEQ	 (1u << 22)

struct hdr {
	uint32_t magic;
	uint32_t size;
	uint64_t seq;
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint8_t
pattern(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (seq >> 8) + (i >> 8));
}

static void
fill(uint8_t *buf, size_t size, uint64_t seq)
{
	struct hdr h = {MAGIC, (uint32_t)size, seq};
	size_t i;

	for (i = sizeof(h); i < size; i++)
		buf[i] = pattern(seq, i);
	memcpy(buf, &h, sizeof(h));
}

static void
die(const char *what)
{
	fprintf(stderr, "migcheck: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_stats(const char *path, const char *line)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fputs(line, f);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static int
do_send(const char *addr, int port, long pps, size_t size, long seconds, const char *stats)
{
	static uint8_t buf[MAX_SIZE];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timespec next;
	uint64_t seq, n = (uint64_t)pps * (uint64_t)seconds, errors = 0;
	long step = 1000000000L / pps;
	time_t written = 0;
	char line[64];
	int s;

	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "migcheck: bad address %s\n", addr);
		return 1;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (seq = 0; seq < n && !stop; seq++) {
		fill(buf, size, seq);
		if (sendto(s, buf, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			errors++;
		if (time(NULL) != written) {
			written = time(NULL);
			snprintf(line, sizeof(line), "seq %llu\n", (unsigned long long)seq + 1);
			write_stats(stats, line);
		}
		next.tv_nsec += step;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR &&
		       !stop)
			;
	}
	snprintf(line, sizeof(line), "seq %llu\n", (unsigned long long)seq);
	write_stats(stats, line);
	printf("sent %llu errors %llu\n", (unsigned long long)seq, (unsigned long long)errors);
	return 0;
}

/* The runs of seq in 'seen', up to 'last'. */
static void
write_ranges(const char *stats, const uint8_t *seen, uint64_t last)
{
	char path[4096];
	uint64_t i, start = 0;
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s.ranges", stats);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	for (i = 0; i <= last + 1 && i < MAX_SEQ; i++) {
		bool got = i <= last && (seen[i / 8] & (1u << (i % 8))) != 0;

		if (got && !in)
			start = i;
		else if (!got && in)
			fprintf(f, "%llu-%llu\n", (unsigned long long)start,
				(unsigned long long)i - 1);
		in = got;
	}
	fclose(f);
}

static int
do_recv(int port, size_t size, const char *stats)
{
	static uint8_t buf[MAX_SIZE + 1], want[MAX_SIZE], seen[MAX_SEQ / 8];
	struct sockaddr_in me = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	uint64_t received = 0, bad = 0, dup = 0, first = 0, last = 0, maxgap = 0, prev = 0;
	int s, rcvbuf = 8 << 20;
	time_t written = 0;
	char line[256];

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	/* Room for the datagrams that arrive while the reader is stopped. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s, (struct sockaddr *)&me, sizeof(me)) != 0)
		die("bind");
	for (;;) {
		struct timeval tv = {0, 200000};
		struct hdr h;
		ssize_t got;
		time_t now;

		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		got = recv(s, buf, sizeof(buf), 0);
		if (got >= (ssize_t)sizeof(h)) {
			memcpy(&h, buf, sizeof(h));
			if (h.magic != MAGIC || h.size != size || (size_t)got != size ||
			    h.seq >= MAX_SEQ) {
				bad++;
			} else {
				fill(want, size, h.seq);
				if (memcmp(buf, want, size) != 0) {
					bad++;
				} else if (seen[h.seq / 8] & (1u << (h.seq % 8))) {
					dup++;
				} else {
					seen[h.seq / 8] |= (uint8_t)(1u << (h.seq % 8));
					if (received == 0)
						first = h.seq;
					else if (h.seq > prev && h.seq - prev > maxgap)
						maxgap = h.seq - prev;
					if (h.seq > last)
						last = h.seq;
					prev = h.seq;
					received++;
				}
			}
		} else if (got >= 0) {
			bad++;
		}
		now = time(NULL);
		if (now != written || stop) {
			snprintf(line, sizeof(line),
				 "received %llu bad %llu dup %llu first %llu last %llu maxgap "
				 "%llu\n",
				 (unsigned long long)received, (unsigned long long)bad,
				 (unsigned long long)dup, (unsigned long long)first,
				 (unsigned long long)last, (unsigned long long)maxgap);
			write_stats(stats, line);
			written = now;
		}
		if (stop && got < 0)
			break;
	}
	write_ranges(stats, seen, last);
	return 0;
}

static int
do_rarp(const char *ifname, const char *stats)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_RARP)};
	uint8_t frame[2048];
	unsigned long n = 0;
	char line[128];
	int s;

	ll.sll_ifindex = (int)if_nametoindex(ifname);
	if (ll.sll_ifindex == 0)
		die(ifname);
	s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_RARP));
	if (s < 0)
		die("socket(AF_PACKET)");
	if (bind(s, (struct sockaddr *)&ll, sizeof(ll)) != 0)
		die("bind");
	write_stats(stats, "rarp 0\n");
	while (!stop) {
		ssize_t got = recv(s, frame, sizeof(frame), 0);

		if (got < 14)
			continue;
		n++;
		snprintf(line, sizeof(line), "rarp %lu last %02x:%02x:%02x:%02x:%02x:%02x\n", n,
			 frame[6], frame[7], frame[8], frame[9], frame[10], frame[11]);
		write_stats(stats, line);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc == 8 && strcmp(argv[1], "send") == 0) {
		long pps = atol(argv[4]), size = atol(argv[5]);

		if (pps <= 0 || pps > 100000 || size < (long)sizeof(struct hdr) || size > MAX_SIZE)
			goto usage;
		return do_send(argv[2], atoi(argv[3]), pps, (size_t)size, atol(argv[6]), argv[7]);
	}
	if (argc == 5 && strcmp(argv[1], "recv") == 0) {
		long size = atol(argv[3]);

		if (size < (long)sizeof(struct hdr) || size > MAX_SIZE)
			goto usage;
		return do_recv(atoi(argv[2]), (size_t)size, argv[4]);
	}
	if (argc == 4 && strcmp(argv[1], "rarp") == 0)
		return do_rarp(argv[2], argv[3]);
usage:
	fprintf(stderr, "usage: migcheck send ADDR PORT PPS SIZE SECONDS STATSFILE\n"
			"       migcheck recv PORT SIZE STATSFILE\n"
			"       migcheck rarp IFACE STATSFILE\n");
	return 1;
}
