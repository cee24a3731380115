/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The two outputs of ivshmem2-info: text for people and one JSON object
 * (one line) for scripts. Both show the same values; values that break
 * the protocol's rules are marked, never trusted.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "info.h"

/* ---- shared helpers ---- */

/* "4M", "8188K", "12345" (bytes), like ivshmem2-server's log. */
static const char *
fmt_size(uint64_t size, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		uint64_t unit = 1ull << (10 * (i + 1));

		if (size >= unit && size % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", size / unit, suffix[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, size);
	return buf;
}

/* The first way @p's section header breaks the rule peers apply, or NULL. */
static const char *
section_problem(const struct info_group *g, const struct info_peer *p, char *buf, size_t len)
{
	const struct ivshmem2_net_section_header *h = &p->hdr;
	const struct ivshmem2_net_layout *l = &g->net_layout;

	if (p->section_valid)
		return NULL;
	if (h->magic != IVSHMEM2_NET_MAGIC)
		snprintf(buf, len, "magic 0x%08" PRIx32 " is not I2NT (not initialised)",
			 h->magic);
	else if (h->version != IVSHMEM2_NET_LAYOUT_VERSION)
		snprintf(buf, len, "layout version %" PRIu32 ", expected %u", h->version,
			 IVSHMEM2_NET_LAYOUT_VERSION);
	else if (h->owner_id != p->id)
		snprintf(buf, len, "owner %" PRIu32 ", expected %" PRIu32, h->owner_id, p->id);
	else if (h->section_size != l->section_size || h->max_peers != l->max_peers)
		snprintf(buf, len, "section size %" PRIu64 " / %" PRIu32 " peers, expected %"
			 PRIu64 " / %" PRIu32, h->section_size, h->max_peers, l->section_size,
			 l->max_peers);
	else
		snprintf(buf, len, "%" PRIu32 " queues x %" PRIu32 " slots of %" PRIu32
			 ", expected %" PRIu32 " x %" PRIu32 " of %" PRIu32, h->queues,
			 h->ring_size, h->slot_stride, l->queues, l->ring_size, l->slot_stride);
	return buf;
}

static bool
heartbeat_on(const struct info_peer *p)
{
	return (p->hdr.features & IVSHMEM2_NET_F_HEARTBEAT) != 0;
}

/* ---- text ---- */

static void
text_state(FILE *f, uint32_t state)
{
	const char *name = info_state_name(state);

	if (name != NULL)
		fprintf(f, "%s", name);
	else
		fprintf(f, "invalid (%" PRIu32 ")", state);
}

static void
text_group(FILE *f, const struct info_group *g)
{
	const struct info_server *s = &g->srv;
	const struct ivshmem2_layout *l = &g->layout;
	char a[32], b[32], c[32], d[32], e[32];
	uint32_t i;

	fprintf(f, "group %s: server pid %jd, protocol version %" PRIu32 "\n", s->socket_path,
		(intmax_t)s->pid, s->version);
	fprintf(f, "  options   -l %s -o %s -n %" PRIu32 " -V %" PRIu32 " -P 0x%04" PRIx32
		"%s, %s, page %s, ", fmt_size(s->shm_size, a, sizeof(a)),
		fmt_size(s->output_section_size, b, sizeof(b)), s->max_peers, s->vectors,
		s->protocol, s->protocol == IVSHMEM2_NET_PROTOCOL ? " (net_ivshmem2)" : "",
		info_backend_name(s->backend), fmt_size(s->page_size, c, sizeof(c)));
	if (s->numa_node == IVSHMEM2_INFO_NO_NUMA_NODE)
		fprintf(f, "no NUMA binding\n");
	else
		fprintf(f, "NUMA node %" PRIu32 "\n", s->numa_node);
	fprintf(f, "  layout    state table %s at 0, R/W %s at %s, %" PRIu32
		" output sections of %s at %s\n", fmt_size(l->state_table_size, a, sizeof(a)),
		fmt_size(l->rw_section_size, b, sizeof(b)),
		fmt_size(l->rw_section_offset, c, sizeof(c)), l->max_peers,
		fmt_size(l->output_section_size, d, sizeof(d)),
		fmt_size(l->output_section_offset, e, sizeof(e)));
	if (g->net)
		fprintf(f, "  rings     %" PRIu32 " queue pair(s) x %" PRIu32 " slots per peer pair"
			" (header %s, queue area %" PRIu64 " bytes, pool area %" PRIu64 " bytes)\n",
			g->net_layout.queues, g->net_layout.ring_size,
			fmt_size(g->net_layout.header_size, a, sizeof(a)), g->net_layout.queue_stride,
			g->net_layout.pool_size);
	else
		fprintf(f, "  rings     none: %s\n", g->net_reason);
	fprintf(f, "  peers     %" PRIu32 " of %" PRIu32 " connected:", s->num_peers,
		s->max_peers);
	for (i = 0; i < s->num_peers; i++)
		fprintf(f, " %" PRIu32, s->peer_ids[i]);
	fprintf(f, "%s\n", s->num_peers ? " (in connection order)" : " none");
}

static void
text_ring(FILE *f, const struct info_group *g, const struct info_channel *c, uint32_t q)
{
	const struct info_ring *r = &c->rings[q];

	fprintf(f, "    ring %" PRIu32 "->%" PRIu32 " queue %" PRIu32 ": tail %" PRIu32 "  head %"
		PRIu32 "  used %" PRIu32 "/%" PRIu32 "%s  wake ", c->owner, c->remote, q, r->tail,
		r->head, r->occupancy, g->net_layout.ring_size,
		r->consistent ? "" : " INCONSISTENT");
	if (r->wake == 0)
		fprintf(f, "0 (polling)\n");
	else if (r->wake_valid)
		fprintf(f, "%" PRIu32 " (sleeping)\n", r->wake);
	else
		fprintf(f, "%" PRIu32 " (invalid: not a vector)\n", r->wake);
}

static void
text_channel(FILE *f, const struct info_group *g, uint32_t owner, uint32_t remote)
{
	struct info_channel c;
	uint32_t q;

	info_channel_read(g, owner, remote, &c);
	fprintf(f, "  channel to peer %" PRIu32 ": session 0x%08" PRIx32 ", ack 0x%08" PRIx32
		" (%s), link %s\n", remote, c.session, c.ack,
		c.session == 0 ? "port stopped" : c.acked ? "acked" : "not acked",
		c.link_up ? "up" : "down");
	fprintf(f, "    tx %" PRIu32 " rx %" PRIu32 " queues%s, mtu %" PRIu32
		", mac %02x:%02x:%02x:%02x:%02x:%02x\n", c.tx_queues, c.rx_queues,
		c.queues_valid ? "" : " (invalid: above the layout's queues)", c.mtu,
		c.mac[0], c.mac[1], c.mac[2], c.mac[3], c.mac[4], c.mac[5]);
	for (q = 0; q < g->net_layout.queues; q++)
		text_ring(f, g, &c, q);
}

static void
text_peer(FILE *f, const struct info_group *g, const struct info_peer *p)
{
	const struct ivshmem2_net_section_header *h = &p->hdr;
	char buf[160], a[32];
	const char *problem;
	uint32_t i;

	fprintf(f, "\npeer %" PRIu32 "%s: state ", p->id,
		p->connected ? "" : " (not connected: stale state entry)");
	text_state(f, p->state);
	fprintf(f, "\n");
	if (!g->net)
		return;
	problem = section_problem(g, p, buf, sizeof(buf));
	fprintf(f, "  section at %s: magic 0x%08" PRIx32 ", version %" PRIu32 ", owner %" PRIu32
		", %" PRIu32 " x %" PRIu32 ", features 0x%" PRIx32 ": %s%s\n",
		fmt_size(ivshmem2_layout_output_offset(&g->layout, p->id), a, sizeof(a)),
		h->magic, h->version, h->owner_id, h->queues, h->ring_size, h->features,
		problem ? "INVALID, " : "valid", problem ? problem : "");
	if (heartbeat_on(p))
		fprintf(f, "  heartbeat %" PRIu32 " -> %" PRIu32 " in %" PRIu32 " ms: %s\n",
			h->heartbeat, p->heartbeat_later, p->heartbeat_gap_ms,
			p->heartbeat_later != h->heartbeat ? "alive" : "STANDS STILL");
	else
		fprintf(f, "  heartbeat not advertised\n");
	if (!p->connected)
		return;
	for (i = 0; i < g->nb_connected; i++)
		if (g->peers[i].id != p->id)
			text_channel(f, g, p->id, g->peers[i].id);
}

void
info_report_text(FILE *f, const struct info_group *g)
{
	uint32_t i;

	text_group(f, g);
	for (i = 0; i < g->nb_peers; i++)
		text_peer(f, g, &g->peers[i]);
}

/* ---- JSON ---- */

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

static void
json_sep(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key != NULL)
		fprintf(j->f, "\"%s\":", key);
}

static void
json_open(struct json *j, const char *key, char bracket)
{
	json_sep(j, key);
	fputc(bracket, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct json *j, char bracket)
{
	fputc(bracket, j->f);
	if (j->depth > 0)
		j->depth--;
}

static void
json_u64(struct json *j, const char *key, uint64_t v)
{
	json_sep(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void
json_bool(struct json *j, const char *key, bool v)
{
	json_sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void
json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	fputs("null", j->f);
}

/* Strings: ours are ASCII; a socket path may hold anything. */
static void
json_str(struct json *j, const char *key, const char *v)
{
	const unsigned char *c;

	json_sep(j, key);
	fputc('"', j->f);
	for (c = (const unsigned char *)v; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(j->f, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(j->f, "\\u%04x", *c);
		else
			fputc(*c, j->f);
	}
	fputc('"', j->f);
}

static void
json_group(struct json *j, const struct info_group *g)
{
	const struct info_server *s = &g->srv;
	const struct ivshmem2_layout *l = &g->layout;
	uint32_t i;

	json_open(j, "server", '{');
	json_u64(j, "pid", (uint64_t)s->pid);
	json_u64(j, "version", s->version);
	json_u64(j, "compatible_version", s->compatible_version);
	json_u64(j, "shm_size", s->shm_size);
	json_u64(j, "output_section_size", s->output_section_size);
	json_u64(j, "max_peers", s->max_peers);
	json_u64(j, "vectors", s->vectors);
	json_u64(j, "protocol", s->protocol);
	json_str(j, "backend", info_backend_name(s->backend));
	json_u64(j, "page_size", s->page_size);
	if (s->numa_node == IVSHMEM2_INFO_NO_NUMA_NODE)
		json_null(j, "numa_node");
	else
		json_u64(j, "numa_node", s->numa_node);
	json_open(j, "connected", '[');
	for (i = 0; i < s->num_peers; i++)
		json_u64(j, NULL, s->peer_ids[i]);
	json_close(j, ']');
	json_close(j, '}');

	json_open(j, "layout", '{');
	json_u64(j, "state_table_size", l->state_table_size);
	json_u64(j, "rw_section_offset", l->rw_section_offset);
	json_u64(j, "rw_section_size", l->rw_section_size);
	json_u64(j, "output_section_offset", l->output_section_offset);
	json_u64(j, "output_section_size", l->output_section_size);
	json_close(j, '}');

	if (!g->net) {
		json_null(j, "rings");
		json_str(j, "rings_reason", g->net_reason);
		return;
	}
	json_open(j, "rings", '{');
	json_u64(j, "queues", g->net_layout.queues);
	json_u64(j, "ring_size", g->net_layout.ring_size);
	json_u64(j, "slot_stride", g->net_layout.slot_stride);
	json_u64(j, "header_size", g->net_layout.header_size);
	json_u64(j, "queue_stride", g->net_layout.queue_stride);
	json_u64(j, "pool_offset", g->net_layout.pool_offset);
	json_u64(j, "pool_size", g->net_layout.pool_size);
	json_close(j, '}');
}

static void
json_channel(struct json *j, const struct info_group *g, uint32_t owner, uint32_t remote)
{
	struct info_channel c;
	char mac[18];
	uint32_t q;

	info_channel_read(g, owner, remote, &c);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", c.mac[0], c.mac[1],
		 c.mac[2], c.mac[3], c.mac[4], c.mac[5]);
	json_open(j, NULL, '{');
	json_u64(j, "remote", remote);
	json_u64(j, "session", c.session);
	json_u64(j, "ack", c.ack);
	json_bool(j, "acked", c.acked);
	json_bool(j, "link_up", c.link_up);
	json_u64(j, "tx_queues", c.tx_queues);
	json_u64(j, "rx_queues", c.rx_queues);
	json_bool(j, "queues_valid", c.queues_valid);
	json_u64(j, "mtu", c.mtu);
	json_str(j, "mac", mac);
	json_open(j, "rings", '[');
	for (q = 0; q < g->net_layout.queues; q++) {
		const struct info_ring *r = &c.rings[q];

		json_open(j, NULL, '{');
		json_u64(j, "queue", q);
		json_u64(j, "tail", r->tail);
		json_u64(j, "head", r->head);
		json_u64(j, "occupancy", r->occupancy);
		json_bool(j, "consistent", r->consistent);
		json_u64(j, "wake", r->wake);
		json_bool(j, "wake_valid", r->wake_valid);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

static void
json_peer(struct json *j, const struct info_group *g, const struct info_peer *p)
{
	const struct ivshmem2_net_section_header *h = &p->hdr;
	const char *name = info_state_name(p->state);
	const char *problem;
	char buf[160];
	uint32_t i;

	json_open(j, NULL, '{');
	json_u64(j, "id", p->id);
	json_bool(j, "connected", p->connected);
	json_u64(j, "state", p->state);
	json_str(j, "state_name", name != NULL ? name : "invalid");
	if (g->net) {
		problem = section_problem(g, p, buf, sizeof(buf));
		json_open(j, "section", '{');
		json_u64(j, "offset", ivshmem2_layout_output_offset(&g->layout, p->id));
		json_u64(j, "magic", h->magic);
		json_u64(j, "version", h->version);
		json_u64(j, "section_size", h->section_size);
		json_u64(j, "max_peers", h->max_peers);
		json_u64(j, "owner_id", h->owner_id);
		json_u64(j, "queues", h->queues);
		json_u64(j, "ring_size", h->ring_size);
		json_u64(j, "slot_stride", h->slot_stride);
		json_u64(j, "features", h->features);
		json_bool(j, "valid", problem == NULL);
		if (problem != NULL)
			json_str(j, "problem", problem);
		else
			json_null(j, "problem");
		json_u64(j, "heartbeat", h->heartbeat);
		json_u64(j, "heartbeat_later", p->heartbeat_later);
		json_u64(j, "heartbeat_gap_ms", p->heartbeat_gap_ms);
		if (heartbeat_on(p))
			json_bool(j, "heartbeat_advancing", p->heartbeat_later != h->heartbeat);
		else
			json_null(j, "heartbeat_advancing");
		json_close(j, '}');
		json_open(j, "channels", '[');
		for (i = 0; p->connected && i < g->nb_connected; i++)
			if (g->peers[i].id != p->id)
				json_channel(j, g, p->id, g->peers[i].id);
		json_close(j, ']');
	}
	json_close(j, '}');
}

void
info_report_json(FILE *f, const struct info_group *g)
{
	struct json j = { .f = f, .depth = 0, .first = { true } };
	uint32_t i;

	json_open(&j, NULL, '{');
	json_str(&j, "socket", g->srv.socket_path);
	json_group(&j, g);
	json_open(&j, "peers", '[');
	for (i = 0; i < g->nb_peers; i++)
		json_peer(&j, g, &g->peers[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', f);
}
