/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * A misbehaving net_ivshmem2 peer for tests: joins a server group, completes
 * the session handshake with the PMD peer, then produces valid frames mixed
 * with hostile descriptors and indices. The PMD must drop and count the bad
 * ones, deliver exactly the valid ones and keep running.
 *
 * usage: ivshmem2_hostile_peer SOCKET PMD_PEER_ID [flood|vN]
 *        ivshmem2_hostile_peer SOCKET PMD_PEER_ID soak SEED SECONDS [ATTACKS]
 * Prints "valid=N rejected=M bad_index=K" (what the PMD should count).
 * With "flood": publishes FLOOD_BAD bad descriptors, prints "flooded=N",
 * and stays in the group (state RUN) for FLOOD_STAY_MS before it exits.
 * With "vN" (N an older layout version): announces version N and checks
 * that the PMD never accepts its session; prints "vN not accepted".
 * With "soak": a randomized adversary (seeded, time-bounded), see the
 * part "Soak" below; ATTACKS is a comma list of attack names or "all".
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ivshmem2/shmem.h>
#include <ivshmem2/wire.h>

#include "ivshmem2_ring.h"

#define FLOOD_BAD	200
#define FLOOD_STAY_MS	15000

static uint32_t max_peers, vectors, my_id;
static int fds[64][64];

static void
die(const char *msg)
{
	fprintf(stderr, "hostile_peer: %s (%s)\n", msg, strerror(errno));
	exit(2);
}

static int
recv_msg(int s, uint8_t *buf, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(struct ivshmem2_msg_header) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct ivshmem2_msg_header h;
	struct cmsghdr *c;

	*fd = -1;
	if (recvmsg(s, &m, MSG_WAITALL) != sizeof(h))
		die("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	memcpy(&h, buf, sizeof(h));
	if (h.len < sizeof(h) || h.len > IVSHMEM2_MSG_MAX_LEN)
		die("bad message length");
	if (h.len > sizeof(h) && recv(s, buf + sizeof(h), h.len - sizeof(h), MSG_WAITALL) !=
	    (ssize_t)(h.len - sizeof(h)))
		die("recv");
	return (int)h.type;
}

static void
ring(uint32_t peer, uint32_t vector)
{
	uint64_t one = 1;

	if (peer < 64 && vector < 64 && fds[peer][vector] >= 0 &&
	    write(fds[peer][vector], &one, sizeof(one)) < 0)
		perror("write eventfd");
}

static void
msleep(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int soak_main(int argc, char **argv);

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ivshmem2_msg_init init;
	struct ivshmem2_layout shm;
	struct ivshmem2_net_layout net;
	struct ivshmem2_net_channel_header *mine;
	struct ivshmem2_ring_peer_channel pc;
	struct ivshmem2_ring_tx tx;
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN], *base, *own, *peer;
	uint32_t pmd, have = 0, i, tail, valid = 0, rejected = 0, bad_index = 0;
	struct stat st;
	int s, fd, shm_fd, tries;
	unsigned int old_version = 0;

	if (argc >= 4 && strcmp(argv[3], "soak") == 0)
		return soak_main(argc, argv);
	if (argc == 4 && argv[3][0] == 'v')
		old_version = (unsigned int)strtoul(argv[3] + 1, NULL, 10);
	if (argc != 3 && !(argc == 4 && (strcmp(argv[3], "flood") == 0 ||
					 (old_version >= 1 &&
					  old_version < IVSHMEM2_NET_LAYOUT_VERSION))))
		return fprintf(stderr, "usage: %s SOCKET PMD_PEER_ID [flood|vN]\n"
			       "       %s SOCKET PMD_PEER_ID soak SEED SECONDS [ATTACKS]\n",
			       argv[0], argv[0]), 2;
	pmd = (uint32_t)atoi(argv[2]);
	memset(fds, -1, sizeof(fds));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		die("connect");
	if (recv_msg(s, buf, &shm_fd) != IVSHMEM2_MSG_INIT || shm_fd < 0)
		die("INIT");
	memcpy(&init, buf, sizeof(init));
	my_id = init.id;
	max_peers = init.max_peers;
	vectors = init.vectors;
	if (max_peers > 64 || vectors > 64 || pmd >= max_peers || pmd == my_id)
		die("group too large for this test tool or bad PMD peer ID");
	while (have < vectors) {
		struct ivshmem2_msg_event_fd ev;

		if (recv_msg(s, buf, &fd) != IVSHMEM2_MSG_EVENT_FD)
			continue;
		memcpy(&ev, buf, sizeof(ev));
		if (ev.id < 64 && ev.vector < 64)
			fds[ev.id][ev.vector] = fd;
		have += ev.id == my_id;
	}
	if (fstat(shm_fd, &st) != 0 ||
	    ivshmem2_layout_compute(&shm, (uint64_t)st.st_size, max_peers,
				    init.output_section_size, 4096) != IVSHMEM2_LAYOUT_OK ||
	    ivshmem2_net_layout_compute(&net, init.output_section_size, max_peers) !=
	    IVSHMEM2_NET_LAYOUT_OK)
		die("layout");
	base = mmap(NULL, shm.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (base == MAP_FAILED)
		die("mmap");
	own = base + ivshmem2_layout_output_offset(&shm, my_id);
	peer = base + ivshmem2_layout_output_offset(&shm, pmd);

	/* Join like a well-behaved peer: section, state RUN, session handshake. */
	ivshmem2_ring_section_init(own, &net, my_id);
	/* No heartbeat (like an older peer): only what we send counts. */
	((struct ivshmem2_net_section_header *)own)->features = 0;
	mine = ivshmem2_ring_channel(own, pmd);
	mine->tx_queues = 1;
	mine->rx_queues = 1;
	/* vN: a peer of an older layout version N, refused by the version check. */
	if (old_version != 0)
		((struct ivshmem2_net_section_header *)own)->version = old_version;
	__atomic_store_n(&mine->session, 0x5eed0000u | my_id, __ATOMIC_RELEASE);
	__atomic_store_n(&((uint32_t *)base)[my_id], IVSHMEM2_NET_STATE_RUN, __ATOMIC_SEQ_CST);
	ring(pmd, 0);
	if (old_version != 0) {
		for (tries = 0; tries < 300; tries++) {
			msleep(10);
			if (ivshmem2_ring_channel_read(peer, &net, my_id, &pc) == IVSHMEM2_RING_OK &&
			    pc.ack == mine->session)
				die("the PMD accepted a peer of an older layout version");
		}
		printf("v%u not accepted\n", old_version);
		fflush(stdout);
		return 0;
	}
	for (tries = 0; tries < 2000; tries++) {
		if (ivshmem2_ring_channel_read(peer, &net, my_id, &pc) == IVSHMEM2_RING_OK &&
		    pc.session != 0) {
			if (mine->ack != pc.session) {
				__atomic_store_n(&mine->ack, pc.session, __ATOMIC_RELEASE);
				ring(pmd, 0);
			}
			if (pc.ack == mine->session)
				break;
		}
		msleep(10);
	}
	if (tries == 2000)
		die("no handshake with the PMD peer");
	msleep(300);	/* let the PMD's rx queue take the new rings */

	ivshmem2_ring_tx_attach(&tx, own, peer, &net, my_id, pmd, 0);
	tail = __atomic_load_n(tx.tail, __ATOMIC_RELAXED);
#define PUT_AT(len_, flags_, off_) do { \
		ivshmem2_ring_desc_write(tx.desc, tx.pool_ref, tail & tx.mask, (len_), (flags_), \
					 (off_)); \
		memset(ivshmem2_ring_slot(tx.slots, tx.mask, tail), 0xab, 64); \
		tail++; \
	} while (0)
#define PUT(len_, flags_) PUT_AT(len_, flags_, 0)
#define PUBLISH() do { \
		__atomic_store_n(tx.tail, tail, __ATOMIC_RELEASE); \
		msleep(200); \
	} while (0)

	if (argc == 4) {	/* flood */
		for (i = 0; i < FLOOD_BAD; i++)
			PUT(0, 0);
		__atomic_store_n(tx.tail, tail, __ATOMIC_RELEASE);
		printf("flooded=%u\n", FLOOD_BAD);
		fflush(stdout);
		msleep(FLOOD_STAY_MS);
		return 0;
	}
	for (i = 0; i < 100; i++, valid++)
		PUT(60, 0);
	PUBLISH();
	/* Lengths 0 and beyond the slot, unknown flags: one rejection each. */
	for (i = 0; i < 10; i++, rejected++)
		PUT(0, 0);
	for (i = 0; i < 10; i++, rejected++)
		PUT(4000, 0);
	for (i = 0; i < 10; i++, rejected++)
		PUT(60, 0x8000);
	/* A chain longer than a maximal frame: rejected once, skipped whole. */
	for (i = 0; i < IVSHMEM2_NET_MAX_CHAIN; i++)
		PUT(2048, IVSHMEM2_NET_DESC_MORE);
	rejected++;
	/* A jumbo frame over the limit (5 x 2048 > 9216). */
	for (i = 0; i < IVSHMEM2_NET_MAX_CHAIN - 1; i++)
		PUT(2048, IVSHMEM2_NET_DESC_MORE);
	PUT(2048, 0);
	rejected++;
	for (i = 0; i < 100; i++, valid++)
		PUT(60, 0);
	PUBLISH();
	/* Tail far beyond the ring: nothing may be read, then recover. */
	__atomic_store_n(tx.tail, tail + 100000, __ATOMIC_RELEASE);
	msleep(300);
	bad_index++;
	for (i = 0; i < 100; i++, valid++)
		PUT(1500, 0);
	PUBLISH();
	/*
	 * Pool descriptors (layout version 2): inside our pool area they are
	 * frames; past its end, into the next section's rings, wrapping 32 bits,
	 * or with no pool area at all, each is one rejection.
	 */
	{
		uint32_t pool = (uint32_t)net.pool_size;

		memset(own + net.pool_offset, 0xcd, pool < 16384 ? pool : 16384);
		for (i = 0; i < 10 && pool >= 9000; i++, valid++)
			PUT_AT(i & 1 ? 9000 : 60, IVSHMEM2_NET_DESC_POOL, 0);
		if (pool >= 120) {
			PUT_AT(60, IVSHMEM2_NET_DESC_POOL, pool - 60);	/* ends at the end */
			valid++;
		}
		PUT_AT(61, IVSHMEM2_NET_DESC_POOL, pool - 60);
		PUT_AT(60, IVSHMEM2_NET_DESC_POOL, pool);
		PUT_AT(60, IVSHMEM2_NET_DESC_POOL, pool + 4096);	/* next section */
		PUT_AT(0xffff, IVSHMEM2_NET_DESC_POOL, 0xffffffffu);
		PUT_AT(60, IVSHMEM2_NET_DESC_POOL, 0xfffffff0u);
		PUT_AT(IVSHMEM2_NET_MAX_FRAME + 1, IVSHMEM2_NET_DESC_POOL, 0);
		PUT_AT(60, IVSHMEM2_NET_DESC_POOL | IVSHMEM2_NET_DESC_RETURN, 0);
		PUT_AT(60, IVSHMEM2_NET_DESC_POOL | 0x0008, 0);
		PUT_AT(0, IVSHMEM2_NET_DESC_POOL, 0);
		rejected += 9;
		/*
		 * RETURN entries point into the PMD's own pool area: inside it
		 * they are frames (of its own bytes), past its end rejections.
		 */
		for (i = 0; i < 4 && pool >= 9000; i++, valid++)
			PUT_AT(i & 1 ? 9000 : 1500, IVSHMEM2_NET_DESC_RETURN, 0);
		PUT_AT(60, IVSHMEM2_NET_DESC_RETURN, pool);
		PUT_AT(0xffff, IVSHMEM2_NET_DESC_RETURN, 0xffffffffu);
		PUT_AT(61, IVSHMEM2_NET_DESC_RETURN, pool - 60);
		PUT_AT(60, IVSHMEM2_NET_DESC_RETURN | 0x0008, 0);
		rejected += 4;
		/* A chain of a slot and a pool segment out of range: one rejection. */
		PUT(2048, IVSHMEM2_NET_DESC_MORE);
		PUT_AT(100, IVSHMEM2_NET_DESC_POOL, 0x80000000u);
		rejected++;
		for (i = 0; i < 100; i++, valid++)
			PUT(60, 0);
		PUBLISH();
	}
	/* Garbage in our consumer state for the PMD's ring: it must just see a full ring. */
	{
		struct ivshmem2_ring_rx rx;

		ivshmem2_ring_rx_attach(&rx, own, peer, &net, my_id, pmd, 0);
		__atomic_store_n(rx.head, 0xdeadbeef, __ATOMIC_RELEASE);
		__atomic_store_n(rx.wake, 0xffffffff, __ATOMIC_RELEASE);
	}
	msleep(300);
	printf("valid=%u rejected=%u bad_index=%u\n", valid, rejected, bad_index);
	fflush(stdout);
	return 0;
}

/*
 * Soak: a protocol-aware adversary. It joins like a good peer (valid
 * section, heartbeat, session handshake), then for SECONDS runs attack
 * rounds drawn with a seeded PRNG, each followed by a probe (a few valid
 * frames the PMD must take) that proves the link towards the PMD works
 * again; a failed probe is repaired with a new session ("recoveries").
 *
 * Accounting (what the PMD's xstats can be held to):
 *   - bad frames are published in batches; a batch is "confirmed" once the
 *     PMD's head passed its end in the same session, so the PMD scanned
 *     (and must have counted) each bad frame in it:
 *       confirmed_bad <= rx_rejected_descriptors
 *                     <= published_bad + maybe_bad
 *     maybe_bad: descriptors rewritten while the PMD may read them, and
 *     published frames of unconfirmed batches are in published_bad.
 *   - valid frames likewise: confirmed_valid <= rx_packets (+ mbuf errors)
 *     <= published_valid + maybe_bad.
 *   - heartbeat stops longer than the PMD's timeout ("hb_long_stops",
 *     4-5 s) each take the link down once, shorter ones (at most 2 s) never.
 *   - the bad frames of one session stay within the PMD's limit (64), but
 *     for "flood" rounds, which go over it on purpose.
 *   - the PMD's io forwarding sends our frames back: every valid frame
 *     carries its length and id and a payload that follows from the id, so
 *     each echo must be byte for byte the slots its descriptors named
 *     ("echo_ok"; "echo_corrupt" and "echo_bad_desc" must stay 0). Frames
 *     shorter than the 16-byte header ("echo_short") and rewritten ones
 *     ("echo_maybe") are not checked.
 * The last line is SOAK_JSON {...} with every counter.
 */

#define SOAK_REJECT_LIMIT	64	/* the PMD's IVSHMEM2_LINK_REJECT_LIMIT */
#define SOAK_SESSION_BUDGET	40	/* bad frames per session outside floods */
#define SOAK_CONFIRM_MS		1500
#define SOAK_ACK_MS		3000
#define SOAK_MAX_BATCH		128

enum soak_attack {
	A_VALID,	/* valid frames, single and chained (jumbo) */
	A_BADLEN,	/* length 0 or beyond the slot, or a pool segment out of range */
	A_BADFLAGS,	/* unknown flag bits */
	A_BADCHAIN,	/* chain too long, over the maximal frame, bad link inside */
	A_TRUNC,	/* chain cut off at the published tail */
	A_REWRITE,	/* descriptors rewritten while the PMD may read them */
	A_TAIL_AHEAD,	/* tail far beyond the ring */
	A_TAIL_BEHIND,	/* tail behind the PMD's head */
	A_TAIL_JITTER,	/* tail jumping between bad values */
	A_HEAD,		/* our consumer index (and wake word) for the PMD's tx bogus */
	A_SESSION,	/* new sessions at a high rate, session 0 */
	A_ACK,		/* wrong, zero and flapping acks */
	A_QUEUES,	/* queue counts out of range, garbage MTU and MAC */
	A_HEARTBEAT,	/* heartbeat stops (short, long), feature toggles, jumps */
	A_HEADER,	/* section header fields corrupted after link up */
	A_REINIT,	/* section re-initialised under the PMD, new handshake */
	A_DOORBELL,	/* doorbell storms on the PMD's vectors */
	A_FLOOD,	/* more bad frames than the PMD's limit: link down */
	A_NB
};

static const struct {
	const char *name;
	unsigned int weight;
} soak_attacks[A_NB] = {
	[A_VALID] = { "valid", 6 },
	[A_BADLEN] = { "badlen", 6 },
	[A_BADFLAGS] = { "badflags", 5 },
	[A_BADCHAIN] = { "badchain", 6 },
	[A_TRUNC] = { "truncchain", 4 },
	[A_REWRITE] = { "rewrite", 4 },
	[A_TAIL_AHEAD] = { "tailahead", 3 },
	[A_TAIL_BEHIND] = { "tailbehind", 3 },
	[A_TAIL_JITTER] = { "tailjitter", 3 },
	[A_HEAD] = { "head", 4 },
	[A_SESSION] = { "session", 4 },
	[A_ACK] = { "ack", 3 },
	[A_QUEUES] = { "queues", 3 },
	[A_HEARTBEAT] = { "heartbeat", 1 },
	[A_HEADER] = { "header", 4 },
	[A_REINIT] = { "reinit", 2 },
	[A_DOORBELL] = { "doorbell", 3 },
	[A_FLOOD] = { "flood", 1 },
};

/* Every counter of the run, printed as SOAK_JSON (names are the JSON keys). */
#define SOAK_COUNTERS(X) \
	X(published_valid) X(published_bad) X(maybe_bad) \
	X(confirmed_valid) X(confirmed_bad) X(unconfirmed_batches) \
	X(chains_valid) X(tail_attack_ms) X(head_attack_ms) X(echo_frames) \
	X(sessions) X(session_zero) X(ack_games) X(queue_games) \
	X(hb_short_stops) X(hb_long_stops) X(hb_feature_toggles) X(hb_jumps) \
	X(header_corruptions) X(reinits) X(doorbells) X(doorbells_eagain) \
	X(floods) X(floods_over_limit) X(flood_downs_seen) \
	X(probes) X(recoveries) X(stuck) \
	X(echo_ok) X(echo_short) X(echo_maybe) X(echo_corrupt) X(echo_bad_desc)

struct soak_stats {
#define X(n) uint64_t n;
	SOAK_COUNTERS(X)
#undef X
	uint64_t rounds[A_NB];
};

struct soak {
	uint32_t pmd;
	uint8_t *base, *own, *peer;
	struct ivshmem2_net_layout net;
	struct ivshmem2_net_channel_header *mine;
	struct ivshmem2_net_section_header *hdr;
	struct ivshmem2_ring_tx tx;	/* us -> PMD */
	struct ivshmem2_ring_rx rx;	/* PMD -> us */
	uint32_t tail;			/* our real tail */
	uint32_t session;
	uint32_t sess_bad;		/* bad frames (worst case) in this session */
	uint64_t rng;
	bool hold_ack;			/* ack games: service() leaves our ack alone */
	bool hold_head;			/* head games: service() leaves our head alone */
	struct soak_stats st;
};

static volatile int beat_on = 1, beat_jump, beat_quit;

static void *
beat_thread(void *arg)
{
	struct ivshmem2_net_section_header *h = arg;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	while (!beat_quit) {
		if (beat_on) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			__atomic_store_n(&h->heartbeat, beat_jump ? (uint32_t)x : h->heartbeat + 1,
					 __ATOMIC_RELEASE);
		}
		msleep(IVSHMEM2_NET_HEARTBEAT_MS);
	}
	return NULL;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
rnd(struct soak *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi]. */
static uint32_t
rnd_range(struct soak *s, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rnd(s) % ((uint64_t)hi - lo + 1));
}

static void
usleep_short(unsigned int us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

#define FRAME_MAGIC_OK		0x43455048u	/* "HPEC": checked when it comes back */
#define FRAME_MAGIC_MAYBE	0x4259414du	/* "MAYB": descriptors rewritten, not checked */
#define FRAME_HDR		16u		/* magic, length, id */

static uint64_t frame_ids;

/* Byte @i (>= FRAME_HDR) of frame @id. */
static inline uint8_t
frame_byte(uint64_t id, uint32_t i)
{
	uint64_t x = (id + 1) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> ((i & 7) * 8)) ^ (uint8_t)(i >> 3);
}

/* Build frame bytes [0, len) into @buf. */
static void
frame_build(uint8_t *buf, uint32_t len, uint32_t magic)
{
	uint64_t id = frame_ids++;
	uint32_t i;

	if (len >= FRAME_HDR) {
		memcpy(buf, &magic, 4);
		memcpy(buf + 4, &len, 4);
		memcpy(buf + 8, &id, 8);
		for (i = FRAME_HDR; i < len; i++)
			buf[i] = frame_byte(id, i);
	} else {
		memset(buf, 0x5a, len);
	}
}

/* Put a whole frame of @len bytes (chained past a slot), unpublished. */
static uint32_t
put_frame(struct soak *s, uint32_t len, uint32_t magic)
{
	static uint8_t buf[IVSHMEM2_NET_MAX_FRAME];
	uint32_t off, n = 0;

	frame_build(buf, len, magic);
	for (off = 0; off < len; off += IVSHMEM2_NET_SLOT_SIZE, n++) {
		uint32_t seg = len - off < IVSHMEM2_NET_SLOT_SIZE ? len - off :
			       IVSHMEM2_NET_SLOT_SIZE;
		uint16_t flags = off + seg < len ? IVSHMEM2_NET_DESC_MORE : 0;

		memcpy(ivshmem2_ring_slot(s->tx.slots, s->tx.mask, s->tail), buf + off, seg);
		ivshmem2_ring_desc_write(s->tx.desc, s->tx.pool_ref, s->tail & s->tx.mask,
					 (uint16_t)seg, flags, 0);
		s->tail++;
	}
	return n;
}

/* Check one frame the PMD sent back; @f from ivshmem2_ring_frame_scan(). */
static void
echo_check(struct soak *s, uint32_t idx, const struct ivshmem2_ring_frame *f)
{
	static uint8_t buf[IVSHMEM2_NET_MAX_FRAME];
	uint32_t k, off = 0, magic, len, i;
	uint64_t id;

	for (k = 0; k < f->nb_slots; k++) {
		memcpy(buf + off, ivshmem2_ring_slot_ro(s->rx.slots, s->rx.mask, idx + k),
		       f->seg_len[k]);
		off += f->seg_len[k];
	}
	if (f->len < FRAME_HDR) {
		s->st.echo_short++;
		return;
	}
	memcpy(&magic, buf, 4);
	memcpy(&len, buf + 4, 4);
	memcpy(&id, buf + 8, 8);
	if (magic == FRAME_MAGIC_MAYBE) {
		s->st.echo_maybe++;
		return;
	}
	if (magic != FRAME_MAGIC_OK || len != f->len) {
		s->st.echo_corrupt++;
		return;
	}
	for (i = FRAME_HDR; i < len; i++) {
		if (buf[i] != frame_byte(id, i)) {
			s->st.echo_corrupt++;
			return;
		}
	}
	s->st.echo_ok++;
}

/* What the PMD publishes towards us: its session and ack. */
static void
pmd_channel(struct soak *s, struct ivshmem2_ring_peer_channel *pc)
{
	memset(pc, 0, sizeof(*pc));
	(void)ivshmem2_ring_channel_read(s->peer, &s->net, my_id, pc);
}

/*
 * The honest part of a peer: ack the PMD's session, consume what the PMD
 * sends us (its io forwarding echoes our frames), clear our wake word.
 */
static void
service(struct soak *s)
{
	struct ivshmem2_ring_peer_channel pc;
	uint32_t t, h;

	pmd_channel(s, &pc);
	if (!s->hold_ack && pc.session != 0 &&
	    __atomic_load_n(&s->mine->ack, __ATOMIC_RELAXED) != pc.session) {
		__atomic_store_n(&s->mine->ack, pc.session, __ATOMIC_RELEASE);
		ring(s->pmd, IVSHMEM2_VECTOR_STATE);
	}
	if (s->hold_head)
		return;
	t = __atomic_load_n(s->rx.peer_tail, __ATOMIC_ACQUIRE);
	h = __atomic_load_n(s->rx.head, __ATOMIC_RELAXED);
	if (t - h <= s->net.ring_size) {
		while (h != t) {
			struct ivshmem2_ring_frame f;

			if (ivshmem2_ring_frame_scan(s->rx.desc, s->rx.pool_ref, s->rx.mask, h,
						     t - h, s->rx.pool_size, &f))
				echo_check(s, h, &f);
			else
				s->st.echo_bad_desc++;
			s->st.echo_frames++;
			h += f.nb_slots;
		}
	}
	/* A new pairing on the PMD's side starts anywhere: follow its tail. */
	__atomic_store_n(s->rx.head, t, __ATOMIC_RELEASE);
	__atomic_store_n(s->rx.wake, 0, __ATOMIC_RELAXED);
}

static void
serve_for(struct soak *s, uint32_t ms)
{
	uint64_t end = now_ms() + ms;

	do {
		service(s);
		usleep_short(500);
	} while (now_ms() < end);
}

/* Our session is up on the PMD's side: it acked it (and we acked its own). */
static bool
wait_acked(struct soak *s, uint32_t ms)
{
	struct ivshmem2_ring_peer_channel pc;
	uint64_t end = now_ms() + ms;

	do {
		service(s);
		pmd_channel(s, &pc);
		if (pc.session != 0 && pc.ack == s->session &&
		    __atomic_load_n(&s->mine->ack, __ATOMIC_RELAXED) == pc.session)
			return true;
		usleep_short(500);
	} while (now_ms() < end);
	return false;
}

static void
set_session(struct soak *s, uint32_t session)
{
	s->session = session;
	__atomic_store_n(&s->mine->session, session, __ATOMIC_RELEASE);
	ring(s->pmd, IVSHMEM2_VECTOR_STATE);
}

static uint32_t
fresh_session(struct soak *s)
{
	uint32_t v;

	do {
		v = (uint32_t)rnd(s);
	} while (v == 0 || v == s->session);
	return v;
}

/* Start a new session and wait until the PMD took it (its rx starts at our tail). */
static bool
new_session(struct soak *s)
{
	set_session(s, fresh_session(s));
	s->st.sessions++;
	s->sess_bad = 0;
	return wait_acked(s, SOAK_ACK_MS);
}

/* Put one descriptor (and a few bytes of payload) at our tail, unpublished. */
static void
put_at(struct soak *s, uint16_t len, uint16_t flags, uint32_t offset)
{
	uint8_t *slot = ivshmem2_ring_slot(s->tx.slots, s->tx.mask, s->tail);
	uint64_t pattern = rnd(s);

	memcpy(slot, &pattern, sizeof(pattern));
	memset(slot + 8, 0xab, 56);
	ivshmem2_ring_desc_write(s->tx.desc, s->tx.pool_ref, s->tail & s->tx.mask, len, flags,
				 offset);
	s->tail++;
}

static void
put(struct soak *s, uint16_t len, uint16_t flags)
{
	put_at(s, len, flags, 0);
}

/* A pool descriptor the PMD must refuse: past the pool area's end, wrapping, or too long. */
static void
put_bad_pool(struct soak *s, uint16_t flags)
{
	uint32_t pool = (uint32_t)s->net.pool_size;

	switch (rnd(s) % 4) {
	case 0:	/* starts inside, ends past the end */
		put_at(s, (uint16_t)rnd_range(s, 61, IVSHMEM2_NET_MAX_FRAME),
		       IVSHMEM2_NET_DESC_POOL | flags, pool >= 60 ? pool - 60 : 0);
		break;
	case 1:	/* beyond: the next section's rings, or anywhere */
		put_at(s, (uint16_t)rnd_range(s, 1, 2048), IVSHMEM2_NET_DESC_POOL | flags,
		       pool + (uint32_t)rnd_range(s, 0, UINT32_MAX - pool));
		break;
	case 2:	/* offset + len wraps 32 bits */
		put_at(s, 0xffff, IVSHMEM2_NET_DESC_POOL | flags,
		       (uint32_t)rnd_range(s, UINT32_MAX - 0xfffe, UINT32_MAX));
		break;
	default: /* longer than a maximal frame */
		put_at(s, (uint16_t)rnd_range(s, IVSHMEM2_NET_MAX_FRAME + 1, 0xffff),
		       IVSHMEM2_NET_DESC_POOL | flags, 0);
		break;
	}
}

/* One valid frame: a single slot (sometimes shorter than a header) or a chain. */
static uint32_t
put_valid(struct soak *s)
{
	uint32_t n;

	if (rnd(s) % 8 != 0)
		return put_frame(s, rnd(s) % 32 == 0 ? rnd_range(s, 1, FRAME_HDR - 1) :
				 rnd_range(s, FRAME_HDR, IVSHMEM2_NET_SLOT_SIZE), FRAME_MAGIC_OK);
	n = put_frame(s, rnd_range(s, IVSHMEM2_NET_SLOT_SIZE + 1, IVSHMEM2_NET_MAX_FRAME),
		      FRAME_MAGIC_OK);
	s->st.chains_valid++;
	return n;
}

/* A length the PMD must refuse: 0 or beyond the slot. */
static uint16_t
bad_len(struct soak *s)
{
	return rnd(s) % 3 == 0 ? 0 : (uint16_t)rnd_range(s, IVSHMEM2_NET_SLOT_SIZE + 1, 0xffff);
}

/* Flags with at least one unknown bit (MORE may be set too). */
static uint16_t
bad_flags(struct soak *s)
{
	uint16_t f = (uint16_t)(rnd(s) & ~IVSHMEM2_NET_DESC_FLAGS_KNOWN & 0xffff);

	return (f ? f : 0x8000) | (uint16_t)(rnd(s) & IVSHMEM2_NET_DESC_MORE);
}

/* A batch of frames under way: published together, confirmed together. */
struct batch {
	uint32_t end;		/* our tail after the batch */
	uint32_t valid, bad, maybe;
	uint32_t session;
};

static void
batch_begin(struct soak *s, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->session = s->session;
}

static void
publish(struct soak *s, struct batch *b)
{
	uint32_t wake;

	b->end = s->tail;
	__atomic_store_n(s->tx.tail, s->tail, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wake = __atomic_load_n(s->tx.peer_wake, __ATOMIC_RELAXED);
	if (wake != 0 && wake < vectors)
		ring(s->pmd, wake);
	s->st.published_valid += b->valid;
	s->st.published_bad += b->bad;
	s->st.maybe_bad += b->maybe;
}

/*
 * Wait until the PMD's head passed the batch in the same session: then it
 * scanned every descriptor of it (a new pairing would have moved its head
 * to our tail without scanning, which only our own new sessions cause).
 */
static bool
confirm(struct soak *s, const struct batch *b)
{
	uint64_t end = now_ms() + SOAK_CONFIRM_MS;
	struct ivshmem2_ring_peer_channel pc;

	do {
		uint32_t head = __atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE);

		pmd_channel(s, &pc);
		if (s->session != b->session || pc.ack != b->session)
			break;
		if ((int32_t)(head - b->end) >= 0 && s->tail - head <= s->net.ring_size) {
			s->st.confirmed_valid += b->valid;
			s->st.confirmed_bad += b->bad;
			return true;
		}
		service(s);
		usleep_short(200);
	} while (now_ms() < end);
	s->st.unconfirmed_batches++;
	return false;
}

/* Room for @n more entries in our ring (the PMD read everything else). */
static bool
room_for(struct soak *s, uint32_t n)
{
	uint32_t head = __atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE);

	return s->tail - head <= s->net.ring_size - n;
}

/* A few valid frames the PMD must take: the link works. Repaired if not. */
static void
probe(struct soak *s)
{
	struct batch b;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		s->st.probes++;
		if (room_for(s, 4)) {
			batch_begin(s, &b);
			for (; b.valid < 4; b.valid++)
				put_frame(s, rnd_range(s, 60, 1514), FRAME_MAGIC_OK);
			publish(s, &b);
			if (confirm(s, &b))
				return;
		}
		s->st.recoveries++;
		new_session(s);
	}
	s->st.stuck++;
}

/* Make sure the next @bad bad frames stay within the PMD's limit for the session. */
static void
budget(struct soak *s, uint32_t bad)
{
	if (s->sess_bad + bad > SOAK_SESSION_BUDGET && !new_session(s))
		probe(s);
	s->sess_bad += bad;
}

/* Valid frames with bad ones of one kind mixed in; one batch, confirmed. */
static void
attack_mixed(struct soak *s, enum soak_attack kind)
{
	uint32_t nb_bad = kind == A_VALID ? 0 : rnd_range(s, 1, 8);
	uint32_t nb_valid = rnd_range(s, 0, 24), i;
	struct batch b;

	budget(s, nb_bad);
	if (!room_for(s, nb_valid * IVSHMEM2_NET_MAX_CHAIN + nb_bad * 2 * IVSHMEM2_NET_MAX_CHAIN))
		return;
	batch_begin(s, &b);
	for (i = 0; i < nb_valid + nb_bad; i++) {
		/* Bad frames at random places among the valid ones. */
		uint32_t left = nb_valid + nb_bad - i;
		bool bad = b.bad < nb_bad &&
			   (b.valid == nb_valid || rnd(s) % left < nb_bad - b.bad);
		uint32_t k, n;

		if (!bad) {
			put_valid(s);
			b.valid++;
			continue;
		}
		b.bad++;
		switch (kind) {
		case A_BADLEN:
			if (rnd(s) & 1)
				put(s, bad_len(s), (uint16_t)(rnd(s) & IVSHMEM2_NET_DESC_MORE));
			else
				put_bad_pool(s, (uint16_t)(rnd(s) & IVSHMEM2_NET_DESC_MORE));
			break;
		case A_BADFLAGS:
			put(s, (uint16_t)rnd_range(s, 1, IVSHMEM2_NET_SLOT_SIZE), bad_flags(s));
			break;
		case A_BADCHAIN:
			switch (rnd(s) % 3) {
			case 0:	/* longer than a maximal frame: MORE on every link */
				for (k = 0; k < IVSHMEM2_NET_MAX_CHAIN; k++)
					put(s, (uint16_t)rnd_range(s, 1, IVSHMEM2_NET_SLOT_SIZE),
					    IVSHMEM2_NET_DESC_MORE);
				break;
			case 1:	/* complete, but over IVSHMEM2_NET_MAX_FRAME bytes */
				for (k = 0; k + 1 < IVSHMEM2_NET_MAX_CHAIN; k++)
					put(s, IVSHMEM2_NET_SLOT_SIZE, IVSHMEM2_NET_DESC_MORE);
				put(s, (uint16_t)rnd_range(s, IVSHMEM2_NET_MAX_FRAME + 1 -
							   (IVSHMEM2_NET_MAX_CHAIN - 1) *
							   IVSHMEM2_NET_SLOT_SIZE,
							   IVSHMEM2_NET_SLOT_SIZE), 0);
				break;
			default: /* a bad link inside a chain */
				n = rnd_range(s, 1, IVSHMEM2_NET_MAX_CHAIN - 1);
				for (k = 0; k < n; k++)
					put(s, (uint16_t)rnd_range(s, 1, IVSHMEM2_NET_SLOT_SIZE),
					    IVSHMEM2_NET_DESC_MORE);
				if (rnd(s) & 1)
					put(s, bad_len(s), 0);
				else
					put(s, 60, bad_flags(s));
				break;
			}
			break;
		default:
			break;
		}
	}
	publish(s, &b);
	confirm(s, &b);
}

/* Valid frames, then a chain whose end is not published: one rejection. */
static void
attack_trunc(struct soak *s)
{
	uint32_t nb_valid = rnd_range(s, 0, 8), n = rnd_range(s, 1, IVSHMEM2_NET_MAX_CHAIN - 1);
	struct batch b;
	uint32_t k;

	budget(s, 1);
	if (!room_for(s, nb_valid * IVSHMEM2_NET_MAX_CHAIN + n))
		return;
	batch_begin(s, &b);
	for (; b.valid < nb_valid; b.valid++)
		put_valid(s);
	for (k = 0; k < n; k++)
		put(s, (uint16_t)rnd_range(s, 1, IVSHMEM2_NET_SLOT_SIZE), IVSHMEM2_NET_DESC_MORE);
	b.bad = 1;
	publish(s, &b);
	confirm(s, &b);
}

/* Descriptors rewritten with anything while the PMD may be reading them. */
static void
attack_rewrite(struct soak *s)
{
	uint32_t n = rnd_range(s, 1, 16), start = s->tail, k;
	uint64_t end;
	struct batch b;

	budget(s, n);
	if (!room_for(s, n))
		return;
	batch_begin(s, &b);
	for (k = 0; k < n; k++)
		put_frame(s, rnd_range(s, FRAME_HDR, IVSHMEM2_NET_SLOT_SIZE), FRAME_MAGIC_MAYBE);
	b.maybe = n;
	publish(s, &b);
	end = now_ms() + rnd_range(s, 1, 5);
	do {
		union ivshmem2_ring_desc_word v;
		uint32_t entry = (start + rnd(s) % n) & s->tx.mask;

		/* Random words, half of them with known flags only; random pool references. */
		v.raw = (uint32_t)rnd(s);
		if (rnd(s) & 1)
			v.d.flags &= IVSHMEM2_NET_DESC_FLAGS_KNOWN;
		__atomic_store_n(&s->tx.pool_ref[entry], (uint32_t)rnd(s), __ATOMIC_RELAXED);
		__atomic_store_n((uint32_t *)&s->tx.desc[entry], v.raw, __ATOMIC_RELAXED);
	} while (now_ms() < end);
	confirm(s, &b);
}

/* Our tail at bad values only (the PMD has read everything before). */
static void
attack_tail(struct soak *s, enum soak_attack kind)
{
	uint32_t ms = rnd_range(s, 20, 200), bad;
	uint64_t end;

	serve_for(s, 2);
	end = now_ms() + ms;
	do {
		uint32_t head = __atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE);
		bool ahead = kind == A_TAIL_AHEAD || (kind == A_TAIL_JITTER && (rnd(s) & 1));

		/* Ahead: more than a ring beyond its head; behind: below its head. */
		if (ahead)
			bad = head + s->net.ring_size + 1 + (uint32_t)(rnd(s) % 0x7ffffff0u);
		else
			bad = head - 1 - (uint32_t)(rnd(s) % 0x7ffffff0u);
		__atomic_store_n(s->tx.tail, bad, __ATOMIC_RELEASE);
		if (kind == A_TAIL_JITTER)
			usleep_short(rnd_range(s, 0, 2000));
		else
			serve_for(s, ms);
		service(s);
	} while (now_ms() < end);
	__atomic_store_n(s->tx.tail, s->tail, __ATOMIC_RELEASE);
	s->st.tail_attack_ms += ms;
}

/* Our consumer index (and wake word) for the PMD's ring towards us bogus. */
static void
attack_head(struct soak *s)
{
	uint32_t ms = rnd_range(s, 20, 400);
	uint32_t t = __atomic_load_n(s->rx.peer_tail, __ATOMIC_ACQUIRE), h;
	static const uint32_t wakes[] = { 0xffffffffu, 0x80000000u, 1, 2, 63, 64 };

	switch (rnd(s) % 4) {
	case 0:
		h = 0xdeadbeef;
		break;
	case 1:	/* ahead of the producer */
		h = t + 1 + (uint32_t)(rnd(s) % 0x7ffffff0u);
		break;
	case 2:	/* more than a ring behind */
		h = t - s->net.ring_size - 1 - (uint32_t)(rnd(s) % 0x7ffffff0u);
		break;
	default:
		h = (uint32_t)rnd(s);
		break;
	}
	s->hold_head = true;
	__atomic_store_n(s->rx.head, h, __ATOMIC_RELEASE);
	__atomic_store_n(s->rx.wake, wakes[rnd(s) % (sizeof(wakes) / sizeof(wakes[0]))],
			 __ATOMIC_RELEASE);
	serve_for(s, ms);
	s->hold_head = false;
	service(s);
	s->st.head_attack_ms += ms;
}

/* Sessions at a high rate, or none for a while; then one that holds. */
static void
attack_session(struct soak *s)
{
	uint32_t i, n;

	if (rnd(s) % 3 == 0) {
		set_session(s, 0);
		s->st.session_zero++;
		serve_for(s, rnd_range(s, 20, 300));
	} else {
		n = rnd_range(s, 2, 200);
		for (i = 0; i < n; i++) {
			set_session(s, fresh_session(s));
			s->st.sessions++;
			service(s);
			usleep_short(rnd_range(s, 0, 2000));
		}
	}
	new_session(s);
}

/* Acks of sessions the PMD never had, 0, or flapping. */
static void
attack_ack(struct soak *s)
{
	struct ivshmem2_ring_peer_channel pc;
	uint64_t end = now_ms() + rnd_range(s, 20, 300);
	uint32_t variant = (uint32_t)(rnd(s) % 3);

	pmd_channel(s, &pc);
	s->hold_ack = true;
	do {
		uint32_t ack;

		if (variant == 0)
			ack = pc.session + 1 + (uint32_t)(rnd(s) % 1000);
		else if (variant == 1)
			ack = 0;
		else
			ack = (rnd(s) & 1) ? pc.session : (uint32_t)rnd(s);
		__atomic_store_n(&s->mine->ack, ack, __ATOMIC_RELEASE);
		ring(s->pmd, IVSHMEM2_VECTOR_STATE);
		serve_for(s, variant == 2 ? 1 : 20);
	} while (now_ms() < end);
	s->hold_ack = false;
	service(s);
	s->st.ack_games++;
}

/* Queue counts the layout cannot have; garbage MTU and MAC. */
static void
attack_queues(struct soak *s)
{
	uint32_t txq = s->mine->tx_queues, rxq = s->mine->rx_queues, mtu = s->mine->mtu;

	switch (rnd(s) % 3) {
	case 0:
		__atomic_store_n(&s->mine->tx_queues, s->net.queues + 1 + (uint32_t)(rnd(s) % 1000),
				 __ATOMIC_RELEASE);
		break;
	case 1:
		__atomic_store_n(&s->mine->rx_queues, 0, __ATOMIC_RELEASE);
		break;
	default:
		__atomic_store_n(&s->mine->rx_queues, (uint32_t)rnd(s) | 0x10000u,
				 __ATOMIC_RELEASE);
		break;
	}
	__atomic_store_n(&s->mine->mtu, (uint32_t)rnd(s), __ATOMIC_RELAXED);
	memset(s->mine->mac, 0xff, sizeof(s->mine->mac));
	ring(s->pmd, IVSHMEM2_VECTOR_STATE);
	serve_for(s, rnd_range(s, 20, 300));
	__atomic_store_n(&s->mine->tx_queues, txq, __ATOMIC_RELEASE);
	__atomic_store_n(&s->mine->rx_queues, rxq, __ATOMIC_RELEASE);
	__atomic_store_n(&s->mine->mtu, mtu, __ATOMIC_RELAXED);
	ring(s->pmd, IVSHMEM2_VECTOR_STATE);
	s->st.queue_games++;
	serve_for(s, 5);
}

/*
 * Beat again, and wait until the beat thread has written a beat: two stops
 * in consecutive rounds must not add up to one longer than the PMD's timeout.
 */
static void
beat_resume(struct soak *s)
{
	uint32_t before = __atomic_load_n(&s->hdr->heartbeat, __ATOMIC_ACQUIRE);
	uint64_t start = now_ms();

	beat_on = 1;
	while (__atomic_load_n(&s->hdr->heartbeat, __ATOMIC_ACQUIRE) == before &&
	       now_ms() - start < 10 * IVSHMEM2_NET_HEARTBEAT_MS)
		serve_for(s, 10);
}

static void
attack_heartbeat(struct soak *s)
{
	switch (rnd(s) % 4) {
	case 0:	/* short stop: never a timeout */
		beat_on = 0;
		serve_for(s, rnd_range(s, 300, 2000));
		beat_resume(s);
		s->st.hb_short_stops++;
		break;
	case 1:	/* long stop: exactly one timeout */
		beat_on = 0;
		serve_for(s, rnd_range(s, 4000, 5000));
		beat_resume(s);
		s->st.hb_long_stops++;
		serve_for(s, 300);
		break;
	case 2:	/* like an older peer for a while: liveness unknown */
		beat_on = 0;
		__atomic_store_n(&s->hdr->features, 0, __ATOMIC_RELEASE);
		serve_for(s, rnd_range(s, 300, 2000));
		__atomic_store_n(&s->hdr->features, IVSHMEM2_NET_F_HEARTBEAT, __ATOMIC_RELEASE);
		beat_resume(s);
		s->st.hb_feature_toggles++;
		break;
	default: /* the counter jumps around (still changing: alive) */
		beat_jump = 1;
		serve_for(s, rnd_range(s, 300, 1500));
		beat_jump = 0;
		s->st.hb_jumps++;
		break;
	}
}

/* One field of our section header wrong for a while (heartbeat left alone). */
static void
attack_header(struct soak *s)
{
	struct ivshmem2_net_section_header *h = s->hdr;
	struct ivshmem2_net_section_header save;
	uint64_t end = now_ms() + rnd_range(s, 20, 400);
	bool flicker = rnd(s) % 4 == 0;
	uint32_t field = (uint32_t)(rnd(s) % 9);

	memcpy(&save, h, sizeof(save));
	do {
		switch (field) {
		case 0:
			__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
			break;
		case 1:
			__atomic_store_n(&h->magic, (uint32_t)rnd(s) | 1, __ATOMIC_RELEASE);
			break;
		case 2:
			h->version = save.version + 1 + (uint32_t)(rnd(s) % 100);
			break;
		case 3:
			h->section_size = save.section_size ^ (rnd(s) | 1);
			break;
		case 4:
			h->max_peers = save.max_peers + 1;
			break;
		case 5:
			h->owner_id = s->pmd;
			break;
		case 6:
			h->queues = save.queues * 2;
			break;
		case 7:
			h->ring_size = save.ring_size * 2;
			break;
		default:
			h->slot_stride = save.slot_stride + IVSHMEM2_NET_CACHE_LINE;
			break;
		}
		ring(s->pmd, IVSHMEM2_VECTOR_STATE);
		serve_for(s, flicker ? rnd_range(s, 1, 5) : 20);
		if (flicker) {
			h->version = save.version;
			h->section_size = save.section_size;
			h->max_peers = save.max_peers;
			h->owner_id = save.owner_id;
			h->queues = save.queues;
			h->ring_size = save.ring_size;
			h->slot_stride = save.slot_stride;
			__atomic_store_n(&h->magic, save.magic, __ATOMIC_RELEASE);
			ring(s->pmd, IVSHMEM2_VECTOR_STATE);
			serve_for(s, rnd_range(s, 1, 5));
		}
	} while (now_ms() < end);
	h->version = save.version;
	h->section_size = save.section_size;
	h->max_peers = save.max_peers;
	h->owner_id = save.owner_id;
	h->queues = save.queues;
	h->ring_size = save.ring_size;
	h->slot_stride = save.slot_stride;
	__atomic_store_n(&h->magic, save.magic, __ATOMIC_RELEASE);
	ring(s->pmd, IVSHMEM2_VECTOR_STATE);
	s->st.header_corruptions++;
}

/* Our section initialised again under the PMD (a restart it is not told of). */
static void
attack_reinit(struct soak *s)
{
	ivshmem2_ring_section_init(s->own, &s->net, my_id);
	s->mine->tx_queues = 1;
	s->mine->rx_queues = 1;
	s->tail = 0;
	s->session = 0;
	ring(s->pmd, IVSHMEM2_VECTOR_STATE);
	serve_for(s, rnd_range(s, 0, 100));
	s->st.reinits++;
	new_session(s);
}

/* Writes to the PMD's eventfds as fast as we can; now and then a saturating one. */
static void
attack_doorbell(struct soak *s)
{
	uint64_t end = now_ms() + rnd_range(s, 20, 300);
	uint32_t i = 0;

	do {
		uint32_t v = (uint32_t)(rnd(s) % vectors);
		uint64_t val = (rnd(s) % 1000 == 0 && v == IVSHMEM2_VECTOR_STATE) ?
			       0xfffffffffffffffeull : 1;
		int fd = fds[s->pmd][v];

		if (fd >= 0) {
			if (write(fd, &val, sizeof(val)) < 0)
				s->st.doorbells_eagain++;
			else
				s->st.doorbells++;
		}
		if ((++i & 255) == 0)
			service(s);
	} while (now_ms() < end);
}

/* More bad frames than the PMD accepts from a session: it must take the link down. */
static void
attack_flood(struct soak *s)
{
	uint32_t n = rnd_range(s, SOAK_REJECT_LIMIT + 1, SOAK_REJECT_LIMIT + 200), k, before;
	struct batch b;
	uint64_t end;

	if (!new_session(s) || !room_for(s, n + 1))
		return;
	s->st.floods++;
	batch_begin(s, &b);
	for (k = 0; k < n; k++)
		put(s, bad_len(s), 0);
	b.bad = n;
	s->sess_bad = n;
	publish(s, &b);
	if (!confirm(s, &b))
		return;
	s->st.floods_over_limit++;
	/* A tick later the PMD no longer reads this session's ring. */
	serve_for(s, 500);
	batch_begin(s, &b);
	put_frame(s, 60, FRAME_MAGIC_OK);
	b.valid = 1;
	before = __atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE);
	publish(s, &b);
	end = now_ms() + 300;
	while (now_ms() < end && __atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE) == before)
		service(s);
	if (__atomic_load_n(s->tx.peer_head, __ATOMIC_ACQUIRE) == before)
		s->st.flood_downs_seen++;
	else
		s->st.confirmed_valid++;
	new_session(s);
}

static int
parse_attacks(const char *arg, bool *on)
{
	char buf[512], *tok, *save;
	int i;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < A_NB; i++) {
			if (strcmp(tok, "all") == 0 || strcmp(tok, soak_attacks[i].name) == 0)
				on[i] = true;
		}
		if (strcmp(tok, "all") != 0) {
			for (i = 0; i < A_NB && strcmp(tok, soak_attacks[i].name) != 0; i++)
				;
			if (i == A_NB) {
				fprintf(stderr, "hostile_peer: unknown attack '%s'; known:", tok);
				for (i = 0; i < A_NB; i++)
					fprintf(stderr, " %s", soak_attacks[i].name);
				fprintf(stderr, "\n");
				return -1;
			}
		}
	}
	return 0;
}

static enum soak_attack
pick(struct soak *s, const bool *on)
{
	uint32_t total = 0, r;
	int i;

	for (i = 0; i < A_NB; i++)
		total += on[i] ? soak_attacks[i].weight : 0;
	r = (uint32_t)(rnd(s) % total);
	for (i = 0; i < A_NB; i++) {
		if (!on[i])
			continue;
		if (r < soak_attacks[i].weight)
			return (enum soak_attack)i;
		r -= soak_attacks[i].weight;
	}
	return A_VALID;
}

static void
soak_report(const struct soak *s, uint64_t seed, uint64_t ms)
{
	int i;

	printf("soak: seed %" PRIu64 ", %.1f s\n", seed, (double)ms / 1000);
	printf("%-12s %8s\n", "attack", "rounds");
	for (i = 0; i < A_NB; i++)
		printf("%-12s %8" PRIu64 "\n", soak_attacks[i].name, s->st.rounds[i]);
#define X(n) printf("%-20s %12" PRIu64 "\n", #n, s->st.n);
	SOAK_COUNTERS(X)
#undef X
	printf("SOAK_JSON {\"seed\": %" PRIu64 ", \"ms\": %" PRIu64 ", \"id\": %u, \"rounds\": {",
	       seed, ms, my_id);
	for (i = 0; i < A_NB; i++)
		printf("%s\"%s\": %" PRIu64, i ? ", " : "", soak_attacks[i].name, s->st.rounds[i]);
	printf("}");
#define X(n) printf(", \"%s\": %" PRIu64, #n, s->st.n);
	SOAK_COUNTERS(X)
#undef X
	printf("}\n");
	fflush(stdout);
}

static int
soak_main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static struct soak s;
	struct ivshmem2_msg_init init;
	struct ivshmem2_layout shm;
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
	bool on[A_NB] = { false };
	uint64_t seed, seconds, start, deadline;
	uint32_t have = 0;
	pthread_t beat;
	struct stat st;
	int sock, fd, shm_fd;
	char *end;

	if (argc < 6 || argc > 7)
		return fprintf(stderr, "usage: %s SOCKET PMD_PEER_ID soak SEED SECONDS [ATTACKS]\n",
			       argv[0]), 2;
	s.pmd = (uint32_t)strtoul(argv[2], NULL, 0);
	seed = strtoull(argv[4], &end, 0);
	if (*end != '\0')
		return fprintf(stderr, "hostile_peer: bad SEED '%s'\n", argv[4]), 2;
	seconds = strtoull(argv[5], &end, 0);
	if (*end != '\0' || seconds == 0)
		return fprintf(stderr, "hostile_peer: bad SECONDS '%s'\n", argv[5]), 2;
	if (parse_attacks(argc == 7 ? argv[6] : "all", on) != 0)
		return 2;
	s.rng = seed * 0x9e3779b97f4a7c15ull + 0x2545F4914F6CDD1Dull;
	if (s.rng == 0)
		s.rng = 1;

	memset(fds, -1, sizeof(fds));
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		die("connect");
	if (recv_msg(sock, buf, &shm_fd) != IVSHMEM2_MSG_INIT || shm_fd < 0)
		die("INIT");
	memcpy(&init, buf, sizeof(init));
	my_id = init.id;
	max_peers = init.max_peers;
	vectors = init.vectors;
	if (max_peers > 64 || vectors > 64 || s.pmd >= max_peers || s.pmd == my_id)
		die("group too large for this test tool or bad PMD peer ID");
	while (have < vectors) {
		struct ivshmem2_msg_event_fd ev;

		if (recv_msg(sock, buf, &fd) != IVSHMEM2_MSG_EVENT_FD)
			continue;
		memcpy(&ev, buf, sizeof(ev));
		if (ev.id < 64 && ev.vector < 64)
			fds[ev.id][ev.vector] = fd;
		have += ev.id == my_id;
	}
	if (fds[s.pmd][0] < 0)
		die("the PMD peer is not in the group");
	if (fstat(shm_fd, &st) != 0 ||
	    ivshmem2_layout_compute(&shm, (uint64_t)st.st_size, max_peers,
				    init.output_section_size, 4096) != IVSHMEM2_LAYOUT_OK ||
	    ivshmem2_net_layout_compute(&s.net, init.output_section_size, max_peers) !=
	    IVSHMEM2_NET_LAYOUT_OK)
		die("layout");
	s.base = mmap(NULL, shm.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (s.base == MAP_FAILED)
		die("mmap");
	s.own = s.base + ivshmem2_layout_output_offset(&shm, my_id);
	s.peer = s.base + ivshmem2_layout_output_offset(&shm, s.pmd);
	s.hdr = (struct ivshmem2_net_section_header *)s.own;
	s.mine = ivshmem2_ring_channel(s.own, s.pmd);
	ivshmem2_ring_tx_attach(&s.tx, s.own, s.peer, &s.net, my_id, s.pmd, 0);
	ivshmem2_ring_rx_attach(&s.rx, s.own, s.peer, &s.net, my_id, s.pmd, 0);

	/* Join like a well-behaved peer: section with heartbeat, RUN, handshake. */
	ivshmem2_ring_section_init(s.own, &s.net, my_id);
	s.mine->tx_queues = 1;
	s.mine->rx_queues = 1;
	if (pthread_create(&beat, NULL, beat_thread, s.hdr) != 0)
		die("pthread_create");
	__atomic_store_n(&((uint32_t *)s.base)[my_id], IVSHMEM2_NET_STATE_RUN, __ATOMIC_SEQ_CST);
	if (!new_session(&s))
		die("no handshake with the PMD peer");
	printf("soak: peer %u against PMD peer %u, ring %u, seed %" PRIu64 ", %" PRIu64 " s\n",
	       my_id, s.pmd, s.net.ring_size, seed, seconds);
	fflush(stdout);
	probe(&s);

	start = now_ms();
	deadline = start + seconds * 1000;
	while (now_ms() < deadline) {
		enum soak_attack a = pick(&s, on);

		s.st.rounds[a]++;
		switch (a) {
		case A_VALID:
		case A_BADLEN:
		case A_BADFLAGS:
		case A_BADCHAIN:
			attack_mixed(&s, a);
			break;
		case A_TRUNC:
			attack_trunc(&s);
			break;
		case A_REWRITE:
			attack_rewrite(&s);
			break;
		case A_TAIL_AHEAD:
		case A_TAIL_BEHIND:
		case A_TAIL_JITTER:
			attack_tail(&s, a);
			break;
		case A_HEAD:
			attack_head(&s);
			break;
		case A_SESSION:
			attack_session(&s);
			break;
		case A_ACK:
			attack_ack(&s);
			break;
		case A_QUEUES:
			attack_queues(&s);
			break;
		case A_HEARTBEAT:
			attack_heartbeat(&s);
			break;
		case A_HEADER:
			attack_header(&s);
			break;
		case A_REINIT:
			attack_reinit(&s);
			break;
		case A_DOORBELL:
			attack_doorbell(&s);
			break;
		case A_FLOOD:
			attack_flood(&s);
			break;
		case A_NB:
			break;
		}
		probe(&s);
	}
	beat_quit = 1;
	pthread_join(beat, NULL);
	soak_report(&s, seed, now_ms() - start);
	return s.st.stuck == 0 ? 0 : 1;
}
