/* The OpenFlow thread (ofl_agent.h): an epoll loop over listeners, accepted
 * and active connections (ofl_conn.c), timers for keep-alive, barriers and
 * reconnection backoff, and the datapaths' configuration. What a connection
 * decodes goes to ofl_handlers.c's dispatch table. */
#define LOG_PREFIX "openflow/agent: "
#include "ofl_agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iovs_log.h"
#include "ofl_agent_priv.h"
#include "ofl_wire.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- targets ---- */

static int
parse_port(const char *s, uint16_t *port, bool zero_ok)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535 || (v == 0 && !zero_ok))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int
parse_ip(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	return 0;
}

int
ofl_listen_parse(const char *s, struct ofl_target *t, struct iovs_err *err)
{
	char buf[OFL_TARGET_MAX], *colon;

	*t = (struct ofl_target){.addr = htonl(INADDR_LOOPBACK)};
	if (*s == '\0' || strcmp(s, "0") == 0 || strcmp(s, "none") == 0)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return iovs_errf(err, -EINVAL, "listen \"%.20s...\": too long", s);
	snprintf(buf, sizeof(buf), "%s", s);
	if (strncmp(buf, "ptcp:", 5) == 0) {
		char *p = buf + 5;

		colon = strchr(p, ':');
		if (colon != NULL)
			*colon = '\0';
		if (parse_port(p, &t->port, true) != 0 ||
		    (colon != NULL && parse_ip(colon + 1, &t->addr) != 0))
			goto bad;
		return 0;
	}
	colon = strrchr(buf, ':');
	if (colon == NULL)
		goto bad;
	*colon = '\0';
	if (parse_ip(buf, &t->addr) != 0 || parse_port(colon + 1, &t->port, true) != 0)
		goto bad;
	return 0;
bad:
	return iovs_errf(err, -EINVAL,
			 "listen \"%s\": expected IP:PORT, ptcp:PORT[:IP] or none (IPv4; port "
			 "0 disables)",
			 s);
}

int
ofl_controller_parse(const char *s, struct ofl_target *t, struct iovs_err *err)
{
	char buf[OFL_TARGET_MAX], *colon;

	*t = (struct ofl_target){.port = 6653};
	if (strncmp(s, "tcp:", 4) != 0 || strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s + 4);
	colon = strchr(buf, ':');
	if (colon != NULL)
		*colon = '\0';
	if (parse_ip(buf, &t->addr) != 0 ||
	    (colon != NULL && parse_port(colon + 1, &t->port, false) != 0))
		goto bad;
	return 0;
bad:
	return iovs_errf(err, -EINVAL, "controller \"%s\": expected tcp:IP[:PORT] (IPv4)", s);
}

uint64_t
ofl_dpid_from_name(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	/* 02:xx:xx:xx:xx:xx, a locally administered unicast MAC */
	return (h & 0x000000ffffffffffull) | 0x0000020000000000ull;
}

uint32_t
ofl_port_speed_bits(uint32_t mbps)
{
	switch (mbps) {
	case 10:
		return OFL_PF_10MB_FD;
	case 100:
		return OFL_PF_100MB_FD;
	case 1000:
		return OFL_PF_1GB_FD;
	case 10000:
		return OFL_PF_10GB_FD;
	case 40000:
		return OFL_PF_40GB_FD;
	case 100000:
		return OFL_PF_100GB_FD;
	default:
		return OFL_PF_OTHER;
	}
}

/* ---- epoll bookkeeping ---- */

static void
ev_watch(struct ofl_agent *a, int fd, struct ev *ev, uint32_t events, int op)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	if (epoll_ctl(a->epfd, op, fd, &e) != 0)
		LOG_ERR("epoll_ctl(%d): %s", fd, strerror(errno));
}

static void
bury(struct ofl_agent *a, struct ev *ev)
{
	ev->dead = true;
	ev->next_dead = a->graveyard;
	a->graveyard = ev;
}

static void
peer_update_events(struct ofl_agent *a, struct peer *pe)
{
	uint32_t want = (pe->paused ? 0 : EPOLLIN) | (ofl_conn_wants_write(pe->c) ? EPOLLOUT : 0);

	if (want != pe->events) {
		pe->events = want;
		ev_watch(a, pe->c->fd, &pe->ev, want, EPOLL_CTL_MOD);
	}
}

static void remote_schedule(struct remote *r, uint64_t now, bool was_up);

static void
peer_close(struct ofl_agent *a, struct peer *pe, int rc)
{
	struct dp *dp = pe->dp;
	unsigned i;

	if (pe->ev.dead)
		return;
	ofl_conn_flush(pe->c); /* a last HELLO_FAILED or error, if the socket takes it */
	LOG_INFO("%s: %s closed: %s", dp->conf.name, pe->name,
		 pe->c->state == OFL_CONN_CLOSED && pe->c->last_error[0] ? pe->c->last_error
									 : strerror(-rc));
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, pe->c->fd, NULL);
	for (i = 0; i < dp->n_peers; i++)
		if (dp->peers[i] == pe)
			dp->peers[i] = dp->peers[--dp->n_peers];
	if (pe->remote != NULL) {
		struct remote *r = pe->remote;

		snprintf(r->last_error, sizeof(r->last_error), "%s",
			 pe->c->last_error[0] ? pe->c->last_error : strerror(-rc));
		r->peer = NULL;
		remote_schedule(r, now_ms(), pe->c->version != 0);
	}
	close(pe->c->fd);
	pe->c->fd = -1;
	bury(a, &pe->ev);
}

static void
peer_free(struct peer *pe)
{
	ofl_bundle_free(pe);
	ofl_conn_destroy(pe->c);
	free(pe);
}

/* Takes ownership of 'fd'. */
static struct peer *
peer_add(struct dp *dp, int fd, struct remote *r, const char *name)
{
	struct ofl_agent *a = dp->a;
	struct peer *pe;
	int one = 1;

	if (dp->n_peers >= sizeof(dp->peers) / sizeof(dp->peers[0])) {
		close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pe = calloc(1, sizeof(*pe));
	if (pe == NULL) {
		close(fd);
		return NULL;
	}
	if (ofl_conn_create(fd, &a->cp, now_ms(), &pe->c) != 0) {
		free(pe);
		return NULL;
	}
	pe->ev.kind = EV_PEER;
	pe->dp = dp;
	pe->remote = r;
	pe->c->owner = pe;
	snprintf(pe->name, sizeof(pe->name), "%s", name);
	pe->events = EPOLLIN;
	ev_watch(a, fd, &pe->ev, EPOLLIN, EPOLL_CTL_ADD);
	dp->peers[dp->n_peers++] = pe;
	peer_update_events(a, pe);
	LOG_INFO("%s: %s connected", dp->conf.name, name);
	return pe;
}

static void
peer_event(struct ofl_agent *a, struct peer *pe, uint32_t events)
{
	int rc = 0;

	if (events & EPOLLOUT)
		rc = ofl_conn_flush(pe->c);
	if (rc == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !pe->paused)
		rc = ofl_conn_recv(pe->c, now_ms(), ofl_agent_dispatch, pe);
	if (rc < 0)
		peer_close(a, pe, rc);
	else
		peer_update_events(a, pe);
}

/* ---- listeners ---- */

static void
fmt_target(char *buf, size_t len, const char *prefix, uint32_t addr, uint16_t port)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = addr};

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(buf, len, "%s%s:%u", prefix, ip, port);
}

static void
listener_accept(struct ofl_agent *a, struct dp *dp)
{
	unsigned budget;

	for (budget = 0; budget < 16; budget++) {
		struct sockaddr_in sin;
		socklen_t sl = sizeof(sin);
		char name[OFL_TARGET_MAX];
		int fd = accept4(dp->listen_fd, (struct sockaddr *)&sin, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		fmt_target(name, sizeof(name), "ptcp peer ", sin.sin_addr.s_addr,
			   ntohs(sin.sin_port));
		if (peer_add(dp, fd, NULL, name) == NULL)
			LOG_WARN("%s: %s refused: too many connections", dp->conf.name, name);
	}
	(void)a;
}

static void
listener_close(struct ofl_agent *a, struct dp *dp)
{
	if (dp->listen_fd < 0)
		return;
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, dp->listen_fd, NULL);
	close(dp->listen_fd);
	dp->listen_fd = -1;
}

static int
listener_open(struct ofl_agent *a, struct dp *dp, const struct ofl_target *t, struct iovs_err *err)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_addr.s_addr = t->addr, .sin_port = htons(t->port)};
	int fd, one = 1, rc;
	char where[OFL_TARGET_MAX];

	fmt_target(where, sizeof(where), "", t->addr, t->port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return iovs_errf(err, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		close(fd);
		return iovs_errf(err, rc, "listen on %s: %s", where, strerror(-rc));
	}
	dp->listen_fd = fd;
	dp->listen_t = *t;
	ev_watch(a, fd, &dp->ev, EPOLLIN, EPOLL_CTL_ADD);
	LOG_INFO("%s: listening on %s", dp->conf.name, where);
	return 0;
}

/* Moves the listener to 't' (port 0: none). On failure the old one stays. */
static int
listener_replace(struct ofl_agent *a, struct dp *dp, const struct ofl_target *t,
		 struct iovs_err *err)
{
	struct ofl_target old_t = dp->listen_t;
	int old_fd = dp->listen_fd, rc = 0;

	if (old_fd >= 0 && old_t.port == t->port)
		listener_close(a, dp); /* same port: free it before binding again */
	else
		dp->listen_fd = -1;
	if (t->port != 0)
		rc = listener_open(a, dp, t, err);
	if (rc != 0) {
		if (dp->listen_fd < 0 && old_fd >= 0 && old_t.port != t->port)
			dp->listen_fd = old_fd; /* still open and watched */
		else if (old_fd >= 0 && old_t.port == t->port &&
			 listener_open(a, dp, &old_t, NULL) != 0)
			snprintf(dp->listen_error, sizeof(dp->listen_error),
				 "lost the listener on port %u", old_t.port);
		return rc;
	}
	if (old_fd >= 0 && old_t.port != t->port) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, old_fd, NULL);
		close(old_fd);
	}
	dp->listen_t = *t;
	dp->listen_error[0] = '\0';
	return 0;
}

/* ---- active connections ---- */

static void
remote_fail(struct remote *r, uint64_t now, const char *what, int e)
{
	struct ofl_agent *a = r->dp->a;

	snprintf(r->last_error, sizeof(r->last_error), "%s: %s", what, strerror(e));
	if (r->fd >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, r->fd, NULL);
		close(r->fd);
		r->fd = -1;
	}
	remote_schedule(r, now, false);
}

/* Backoff as OVS: 1 s, doubling up to 8 s; back to 1 s after a session. */
static void
remote_schedule(struct remote *r, uint64_t now, bool was_up)
{
	if (was_up || r->backoff_ms == 0)
		r->backoff_ms = OFL_BACKOFF_MIN_MS;
	r->state = R_BACKOFF;
	r->wait_ms = r->backoff_ms;
	r->next_try_ms = now + r->backoff_ms;
	LOG_DBG("%s: %s: next attempt in %u ms", r->dp->conf.name, r->target, r->backoff_ms);
	if (!was_up)
		r->backoff_ms = r->backoff_ms * 2 > OFL_BACKOFF_MAX_MS ? OFL_BACKOFF_MAX_MS
								       : r->backoff_ms * 2;
}

static void
remote_connected(struct remote *r, uint64_t now)
{
	struct ofl_agent *a = r->dp->a;
	int fd = r->fd;

	epoll_ctl(a->epfd, EPOLL_CTL_DEL, fd, NULL);
	r->fd = -1;
	r->peer = peer_add(r->dp, fd, r, r->target);
	if (r->peer == NULL) {
		snprintf(r->last_error, sizeof(r->last_error), "cannot set up the connection");
		remote_schedule(r, now, false);
		return;
	}
	r->state = R_CONNECTED;
	r->n_connects++;
}

static void
remote_try(struct remote *r, uint64_t now)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_addr.s_addr = r->t.addr, .sin_port = htons(r->t.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		remote_fail(r, now, "socket", errno);
		return;
	}
	r->fd = fd;
	r->started_ms = now;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		remote_connected(r, now);
		return;
	}
	if (errno != EINPROGRESS) {
		remote_fail(r, now, "connect", errno);
		return;
	}
	r->state = R_CONNECTING;
	ev_watch(r->dp->a, fd, &r->ev, EPOLLOUT, EPOLL_CTL_ADD);
}

static void
remote_event(struct remote *r)
{
	uint64_t now = now_ms();
	socklen_t sl = sizeof(int);
	int e = 0;

	if (r->state != R_CONNECTING)
		return;
	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
		e = errno;
	if (e != 0)
		remote_fail(r, now, "connect", e);
	else
		remote_connected(r, now);
}

static void
remotes_close(struct ofl_agent *a, struct dp *dp)
{
	unsigned i;

	for (i = 0; i < dp->n_remotes; i++) {
		struct remote *r = dp->remotes[i];

		if (r->peer != NULL) {
			r->peer->remote = NULL;
			peer_close(a, r->peer, -ECONNABORTED);
		}
		if (r->fd >= 0) {
			epoll_ctl(a->epfd, EPOLL_CTL_DEL, r->fd, NULL);
			close(r->fd);
			r->fd = -1;
		}
		bury(a, &r->ev);
	}
	dp->n_remotes = 0;
}

static int
remotes_open(struct dp *dp, const struct ofl_dp_conf *conf)
{
	unsigned i;

	for (i = 0; i < conf->n_controllers; i++) {
		struct remote *r = calloc(1, sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		r->ev.kind = EV_REMOTE;
		r->dp = dp;
		r->fd = -1;
		snprintf(r->target, sizeof(r->target), "%s", conf->controllers[i]);
		ofl_controller_parse(r->target, &r->t, NULL);
		r->state = R_BACKOFF;
		r->next_try_ms = 0; /* at once */
		dp->remotes[dp->n_remotes++] = r;
	}
	return 0;
}

/* ---- timers ---- */

static void
dp_timers(struct ofl_agent *a, struct dp *dp, uint64_t now)
{
	unsigned i;

	for (i = 0; i < dp->n_remotes; i++) {
		struct remote *r = dp->remotes[i];

		if (r->state == R_BACKOFF && now >= r->next_try_ms)
			remote_try(r, now);
		else if (r->state == R_CONNECTING && now - r->started_ms > CONNECT_TIMEOUT_MS)
			remote_fail(r, now, "connect", ETIMEDOUT);
	}
	for (i = 0; i < dp->n_peers;) {
		struct peer *pe = dp->peers[i];
		int rc = ofl_conn_run(pe->c, now);

		if (rc == 0 && pe->paused && ofl_tables_visible(dp, pe->barrier_seq)) {
			pe->paused = false;
			a->waits_done++;
			rc = ofl_agent_barrier_reply(pe, pe->barrier_xid);
			if (rc == 0)
				rc = ofl_conn_resume(pe->c, ofl_agent_dispatch, pe);
			if (rc > 0)
				rc = 0; /* paused again */
		}
		if (rc < 0) {
			peer_close(a, pe, rc); /* moves the last peer here */
			continue;
		}
		peer_update_events(a, pe);
		i++;
	}
}

/* ---- the loop ---- */

/* Takes the flow-install samples now due; true while a barrier or a sample
 * still waits for the PMDs. */
static bool
dp_waits_for_pmds(struct dp *dp)
{
	bool waits = ofl_tables_install_poll(dp);

	for (unsigned i = 0; i < dp->n_peers && !waits; i++)
		waits = dp->peers[i]->paused;
	return waits;
}

static void
graveyard_empty(struct ofl_agent *a)
{
	while (a->graveyard != NULL) {
		struct ev *ev = a->graveyard;

		a->graveyard = ev->next_dead;
		if (ev->kind == EV_PEER)
			peer_free((struct peer *)ev);
		else if (ev->kind == EV_REMOTE)
			free(ev);
		else if (ev->kind == EV_LISTEN) { /* a struct dp: 'ev' is its first member */
			free(((struct dp *)ev)->known);
			free(ev);
		}
	}
}

void
ofl_agent_run_once(struct ofl_agent *a, int timeout_ms)
{
	struct epoll_event evs[32];
	bool waiting;
	uint64_t now;
	int n, i;

	pthread_mutex_lock(&a->mu);
	graveyard_empty(a);
	pthread_mutex_unlock(&a->mu);
	if (a->wait_us > 0 && (timeout_ms < 0 || (uint64_t)timeout_ms * 1000u > a->wait_us)) {
		/* Something waits for the PMDs, which see a change within a few
		 * microseconds: look again soon, backing off while it lasts. */
		struct timespec ts = {.tv_nsec = (long)a->wait_us * 1000};

		n = epoll_pwait2(a->epfd, evs, 32, &ts, NULL);
		a->wait_us = a->wait_us * 2 < WAIT_MAX_US ? a->wait_us * 2 : WAIT_MAX_US;
	} else {
		n = epoll_wait(a->epfd, evs, 32, timeout_ms);
	}
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < n; i++) {
		struct ev *ev = evs[i].data.ptr;

		if (ev->dead)
			continue;
		switch (ev->kind) {
		case EV_WAKE: {
			uint64_t v;

			if (read(a->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				LOG_WARN("eventfd: %s", strerror(errno));
			break;
		}
		case EV_LISTEN:
			listener_accept(a, (struct dp *)ev);
			break;
		case EV_PEER:
			peer_event(a, (struct peer *)ev, evs[i].events);
			break;
		case EV_REMOTE:
			remote_event((struct remote *)ev);
			break;
		}
	}
	now = now_ms();
	for (i = 0; i < MAX_DPS; i++)
		if (a->dps[i] != NULL)
			dp_timers(a, a->dps[i], now);
	for (i = 0; i < MAX_DPS; i++)
		if (a->dps[i] != NULL) {
			ofl_tables_run(a->dps[i], now);
			ofl_ports_run(a->dps[i], now);
		}
	waiting = false;
	for (i = 0; i < MAX_DPS; i++)
		if (a->dps[i] != NULL)
			waiting |= dp_waits_for_pmds(a->dps[i]);
	/* The back-off is for one wait that lasts: a stream of barriers, each
	 * seen within microseconds, starts each wait short again. */
	if (!waiting)
		a->wait_us = 0;
	else if (a->wait_us == 0 || a->waits_done != a->waits_done_seen)
		a->wait_us = WAIT_MIN_US;
	a->waits_done_seen = a->waits_done;
	pthread_mutex_unlock(&a->mu);
}

static void *
agent_main(void *arg)
{
	struct ofl_agent *a = arg;

	/* The short waits (WAIT_MIN_US) must not get the default 50 us of
	 * timer slack. */
	if (prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0) != 0)
		LOG_WARN("PR_SET_TIMERSLACK: %s", strerror(errno));
	/* The agent shares the housekeeping CPU with whatever else runs there
	 * (other daemons, a guest's vCPU on a small host): a higher weight lets
	 * its short wake-ups (a flow_mod, a barrier) preempt them instead of
	 * queueing behind their time slices. It blocks in epoll otherwise. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), AGENT_NICE) != 0)
		LOG_WARN("setpriority(%d): %s (flow_mods wait for CPU time slices)", AGENT_NICE,
			 strerror(errno));
	while (!atomic_load(&a->stop))
		ofl_agent_run_once(a, TICK_MS);
	return NULL;
}

/* ---- lifetime and configuration ---- */

int
ofl_agent_create(const struct ofl_agent_params *p, struct ofl_agent **out, struct iovs_err *err)
{
	struct ofl_agent *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	a->p = *p;
	a->cp.probe_interval_ms =
		p->probe_interval_ms ? p->probe_interval_ms : OFL_CONN_PROBE_MS_DEFAULT;
	a->cp.max_out_bytes = p->max_out_bytes;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	a->tx = malloc(sizeof(*a->tx));
	a->mpbuf = malloc(MP_BUF_SIZE);
	a->ports = calloc(MAX_PORTS, sizeof(*a->ports));
	a->pstats = calloc(MAX_PORTS, sizeof(*a->pstats));
	pthread_mutex_init(&a->mu, NULL);
	if (a->epfd < 0 || a->wake_fd < 0 || !a->tx || !a->mpbuf || !a->ports || !a->pstats) {
		ofl_agent_destroy(a);
		return iovs_errf(err, -ENOMEM, "cannot set up the OpenFlow agent");
	}
	a->wake_ev.kind = EV_WAKE;
	ev_watch(a, a->wake_fd, &a->wake_ev, EPOLLIN, EPOLL_CTL_ADD);
	*out = a;
	return 0;
}

int
ofl_agent_start(struct ofl_agent *a, struct iovs_err *err)
{
	int rc = pthread_create(&a->thread, NULL, agent_main, a);

	if (rc != 0)
		return iovs_errf(err, -rc, "cannot start the OpenFlow thread: %s", strerror(rc));
	a->started = true;
	pthread_setname_np(a->thread, "ofl-agent");
	if (a->p.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->p.cpu, &set);
		rc = pthread_setaffinity_np(a->thread, sizeof(set), &set);
		if (rc != 0)
			LOG_WARN("cannot pin the OpenFlow thread to CPU %d: %s", a->p.cpu,
				 strerror(rc));
	}
	return 0;
}

static void
dp_free(struct ofl_agent *a, struct dp *dp)
{
	while (dp->n_peers > 0)
		peer_close(a, dp->peers[0], -ECONNABORTED);
	remotes_close(a, dp);
	listener_close(a, dp);
	bury(a, &dp->ev);
}

void
ofl_agent_destroy(struct ofl_agent *a)
{
	unsigned i;

	if (a == NULL)
		return;
	if (a->started) {
		uint64_t one = 1;

		atomic_store(&a->stop, true);
		if (write(a->wake_fd, &one, sizeof(one)) < 0)
			LOG_WARN("eventfd: %s", strerror(errno));
		pthread_join(a->thread, NULL);
	}
	for (i = 0; i < MAX_DPS; i++)
		if (a->dps[i] != NULL)
			dp_free(a, a->dps[i]);
	graveyard_empty(a);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	pthread_mutex_destroy(&a->mu);
	free(a->tx);
	free(a->mpbuf);
	free(a->ports);
	free(a->pstats);
	ofl_tables_scratch_free(a);
	free(a);
}

static struct dp *
dp_find(struct ofl_agent *a, const char *name, unsigned *slot)
{
	unsigned i;

	for (i = 0; i < MAX_DPS; i++)
		if (a->dps[i] != NULL && strcmp(a->dps[i]->conf.name, name) == 0) {
			*slot = i;
			return a->dps[i];
		}
	return NULL;
}

static bool
same_controllers(const struct ofl_dp_conf *x, const struct ofl_dp_conf *y)
{
	unsigned i;

	if (x->n_controllers != y->n_controllers)
		return false;
	for (i = 0; i < x->n_controllers; i++)
		if (strcmp(x->controllers[i], y->controllers[i]) != 0)
			return false;
	return true;
}

static int
conf_check(const struct ofl_dp_conf *conf, struct ofl_target *lt, struct iovs_err *err)
{
	struct ofl_target t;
	unsigned i;
	int rc;

	if (conf->name[0] == '\0')
		return iovs_errf(err, -EINVAL, "a datapath needs a name");
	if (conf->n_controllers > OFL_MAX_CONTROLLERS)
		return iovs_errf(err, -EINVAL, "at most %d controllers", OFL_MAX_CONTROLLERS);
	rc = ofl_listen_parse(conf->listen, lt, err);
	for (i = 0; rc == 0 && i < conf->n_controllers; i++)
		rc = ofl_controller_parse(conf->controllers[i], &t, err);
	return rc;
}

int
ofl_agent_dp_set(struct ofl_agent *a, const struct ofl_dp_conf *conf,
		 const struct ofl_switch_ops *ops, void *sw, struct iovs_err *err)
{
	struct ofl_target lt;
	struct dp *dp;
	unsigned slot;
	bool is_new;
	uint64_t one = 1;
	int rc;

	rc = conf_check(conf, &lt, err);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&a->mu);
	dp = dp_find(a, conf->name, &slot);
	is_new = dp == NULL;
	if (is_new) {
		for (slot = 0; slot < MAX_DPS && a->dps[slot] != NULL; slot++)
			;
		dp = slot < MAX_DPS ? calloc(1, sizeof(*dp)) : NULL;
		if (dp == NULL) {
			pthread_mutex_unlock(&a->mu);
			return iovs_errf(err, -ENOSPC, "too many OpenFlow datapaths");
		}
		dp->ev.kind = EV_LISTEN;
		dp->a = a;
		snprintf(dp->conf.name, sizeof(dp->conf.name), "%s", conf->name);
		dp->listen_fd = -1;
		dp->config.miss_send_len = 128; /* OFPCML default of OVS */
	}
	/* The listener first: the only step that can fail. */
	if (is_new || dp->listen_t.port != lt.port || dp->listen_t.addr != lt.addr) {
		rc = listener_replace(a, dp, &lt, err);
		if (rc != 0) {
			if (is_new)
				free(dp);
			pthread_mutex_unlock(&a->mu);
			return rc;
		}
	}
	if (is_new || !same_controllers(&dp->conf, conf)) {
		remotes_close(a, dp);
		rc = remotes_open(dp, conf);
	}
	dp->conf = *conf;
	dp->ops = ops;
	dp->sw = sw;
	a->dps[slot] = dp;
	pthread_mutex_unlock(&a->mu);
	if (write(a->wake_fd, &one, sizeof(one)) < 0)
		LOG_WARN("eventfd: %s", strerror(errno));
	return rc != 0 ? iovs_errf(err, rc, "out of memory") : 0;
}

int
ofl_agent_dp_del(struct ofl_agent *a, const char *name)
{
	unsigned slot;
	struct dp *dp;

	pthread_mutex_lock(&a->mu);
	dp = dp_find(a, name, &slot);
	if (dp != NULL) {
		a->dps[slot] = NULL;
		dp_free(a, dp);
	}
	pthread_mutex_unlock(&a->mu);
	return dp != NULL ? 0 : -ENOENT;
}

static const char *const remote_states[] = {"backoff", "connecting", "connected"};

int
ofl_agent_wake_fd(const struct ofl_agent *a)
{
	return a->wake_fd;
}

int
ofl_agent_dp_show(struct ofl_agent *a, const char *name,
		  void (*dp_cb)(const struct ofl_dp_info *, void *),
		  void (*conn_cb)(const struct ofl_conn_info *, void *), void *arg)
{
	struct ofl_dp_info di = {0};
	unsigned slot, i;
	struct dp *dp;

	pthread_mutex_lock(&a->mu);
	dp = dp_find(a, name, &slot);
	if (dp == NULL) {
		pthread_mutex_unlock(&a->mu);
		return -ENOENT;
	}
	snprintf(di.name, sizeof(di.name), "%s", dp->conf.name);
	if (dp->listen_fd >= 0)
		fmt_target(di.listen, sizeof(di.listen), "ptcp:", dp->listen_t.addr,
			   dp->listen_t.port);
	snprintf(di.listen_error, sizeof(di.listen_error), "%s", dp->listen_error);
	di.datapath_id = ofl_dp_dpid(dp);
	di.fail_mode = dp->conf.fail_mode;
	di.n_conns = dp->n_peers;
	di.flow_install = dp->install;
	di.flow_install_unsampled = dp->install_unsampled;
	dp_cb(&di, arg);
	for (i = 0; i < dp->n_remotes; i++) {
		const struct remote *r = dp->remotes[i];
		struct ofl_conn_info ci = {.active = true};

		snprintf(ci.target, sizeof(ci.target), "%s", r->target);
		ci.state = remote_states[r->state];
		ci.role = "";
		ci.backoff_ms = r->wait_ms;
		ci.n_connects = r->n_connects;
		snprintf(ci.last_error, sizeof(ci.last_error), "%s", r->last_error);
		if (r->peer != NULL) {
			const struct ofl_conn *c = r->peer->c;

			ci.connected = true;
			ci.state = ofl_conn_state_name(c->state);
			ci.role = ofl_role_name(c->role);
			ci.version = c->version;
			ci.stats = c->stats;
			if (c->last_error[0])
				snprintf(ci.last_error, sizeof(ci.last_error), "%s", c->last_error);
		}
		conn_cb(&ci, arg);
	}
	for (i = 0; i < dp->n_peers; i++) {
		const struct peer *pe = dp->peers[i];
		struct ofl_conn_info ci = {.connected = true};

		if (pe->remote != NULL)
			continue;
		snprintf(ci.target, sizeof(ci.target), "%s", pe->name);
		ci.state = ofl_conn_state_name(pe->c->state);
		ci.role = ofl_role_name(pe->c->role);
		ci.version = pe->c->version;
		ci.stats = pe->c->stats;
		snprintf(ci.last_error, sizeof(ci.last_error), "%s", pe->c->last_error);
		conn_cb(&ci, arg);
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}
