/* The controller's side of the agent's unit tests (ofl_agent_test.c,
 * ofl_tables_test.c): reading one OpenFlow message from a socket while the
 * agent runs in the same thread. Include after cmocka.h. */
#ifndef OFL_TEST_PEER_H
#define OFL_TEST_PEER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "ofl_agent.h"

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
