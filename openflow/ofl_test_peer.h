/* The controller's side of the agent's unit tests (ofl_agent_test.c,
 * ofl_tables_test.c, ofl_cli_test.c): a free loopback port for a listener,
 * and reading one OpenFlow message from a socket while the agent runs in the
 * same thread. Include after cmocka.h. */
#ifndef OFL_TEST_PEER_H
#define OFL_TEST_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ofl_agent.h"

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static inline uint16_t
ofl_test_free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Reads one message from 'fd' into 'buf', running agent 'a' meanwhile, for up
 * to 'max_ms'. Returns its length, or 0 if none came whole. */
static inline size_t
ofl_test_recv(struct ofl_agent *a, int fd, uint8_t *buf, size_t cap, int max_ms)
{
	size_t have = 0, want = 8;
	int waited = 0;

	while (have < want && waited < max_ms) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		ofl_agent_run_once(a, 0);
		if (poll(&p, 1, 10) != 1) {
			waited += 10;
			continue;
		}
		n = read(fd, buf + have, want - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		if (have >= 4 && want == 8)
			want = (size_t)(buf[2] << 8 | buf[3]);
		assert_true(want >= 8 && want <= cap);
	}
	return have == want ? have : 0;
}

#endif
