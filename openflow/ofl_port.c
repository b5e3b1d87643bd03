/* Ports (1.3.5 A.2.1): ofp_port as carried by PORT_STATUS (A.4.3) and
 * PORT_DESC replies (ofl_multipart.c), and PORT_MOD (A.3.4.3).
 */
#include <inttypes.h>

#include "ofl_priv.h"

#define HDR sizeof(struct ofp_header)

void
ofl_port_decode(const uint8_t *p, struct ofl_port *port)
{
	struct ofp_port w;

	memcpy(&w, p, sizeof(w));
	port->port_no = be32toh(w.port_no);
	memcpy(port->hw_addr, w.hw_addr, sizeof(port->hw_addr));
	memcpy(port->name, w.name, sizeof(port->name));
	port->config = be32toh(w.config);
	port->state = be32toh(w.state);
	port->curr = be32toh(w.curr);
	port->advertised = be32toh(w.advertised);
	port->supported = be32toh(w.supported);
	port->peer = be32toh(w.peer);
	port->curr_speed = be32toh(w.curr_speed);
	port->max_speed = be32toh(w.max_speed);
}

void
ofl_port_encode(struct ofl_buf *b, const struct ofl_port *port)
{
	struct ofp_port w;

	memset(&w, 0, sizeof(w));
	w.port_no = htobe32(port->port_no);
	memcpy(w.hw_addr, port->hw_addr, sizeof(w.hw_addr));
	memcpy(w.name, port->name, sizeof(w.name));
	w.config = htobe32(port->config);
	w.state = htobe32(port->state);
	w.curr = htobe32(port->curr);
	w.advertised = htobe32(port->advertised);
	w.supported = htobe32(port->supported);
	w.peer = htobe32(port->peer);
	w.curr_speed = htobe32(port->curr_speed);
	w.max_speed = htobe32(port->max_speed);
	ofl_buf_put(b, &w, sizeof(w));
}

OFL_PARSE_FN(ofl_port_status_parse)
{
	(void)len;
	(void)err;
	m->port_status.reason = p[HDR];
	ofl_port_decode(p + offsetof(struct ofp_port_status, desc), &m->port_status.desc);
	return 0;
}

OFL_VALIDATE_FN(ofl_port_status_validate)
{
	if (m->port_status.reason > OFPPR_MODIFY)
		return ofl_fail(err, OFL_E_BAD_PACKET, "reason %u", m->port_status.reason);
	return 0;
}

OFL_ENCODE_FN(ofl_port_status_encode)
{
	ofl_buf_put(b, &m->port_status.reason, 1);
	ofl_buf_zeros(b, 7);
	ofl_port_encode(b, &m->port_status.desc);
	return 0;
}

OFL_PARSE_FN(ofl_port_mod_parse)
{
	struct ofl_port_mod *pm = &m->port_mod;
	struct ofp_port_mod w;

	(void)len;
	(void)err;
	memcpy(&w, p, sizeof(w));
	pm->port_no = be32toh(w.port_no);
	memcpy(pm->hw_addr, w.hw_addr, sizeof(pm->hw_addr));
	pm->config = be32toh(w.config);
	pm->mask = be32toh(w.mask);
	pm->advertise = be32toh(w.advertise);
	return 0;
}

/* A.3.4.3: a physical port (LOCAL included); only the config bits of
 * A.2.1 may be set or masked. */
OFL_VALIDATE_FN(ofl_port_mod_validate)
{
	const struct ofl_port_mod *pm = &m->port_mod;

	if (pm->port_no == 0 || (pm->port_no > OFPP_MAX && pm->port_no != OFPP_LOCAL))
		return ofl_fail(err, OFL_E_PMF_BAD_PORT, "port 0x%" PRIx32, pm->port_no);
	if ((pm->config | pm->mask) & ~OFPPC_ALL)
		return ofl_fail(err, OFL_E_PMF_BAD_CONFIG, "config 0x%" PRIx32 " mask 0x%" PRIx32,
				pm->config, pm->mask);
	return 0;
}

OFL_ENCODE_FN(ofl_port_mod_encode)
{
	const struct ofl_port_mod *pm = &m->port_mod;
	struct ofp_port_mod w;

	memset(&w, 0, sizeof(w));
	w.port_no = htobe32(pm->port_no);
	memcpy(w.hw_addr, pm->hw_addr, sizeof(w.hw_addr));
	w.config = htobe32(pm->config);
	w.mask = htobe32(pm->mask);
	w.advertise = htobe32(pm->advertise);
	ofl_buf_put(b, (const uint8_t *)&w + HDR, sizeof(w) - HDR);
	return 0;
}
