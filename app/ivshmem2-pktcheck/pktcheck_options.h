/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _PKTCHECK_OPTIONS_H_
#define _PKTCHECK_OPTIONS_H_

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#define PKTCHECK_MAX_SIZES	64

enum pktcheck_mode {
	PKTCHECK_MODE_TX,	/**< generate, then send a FIN per stream */
	PKTCHECK_MODE_RX,	/**< verify until every expected FIN arrived */
	PKTCHECK_MODE_BOTH,	/**< TX and RX on the same port at once */
	PKTCHECK_MODE_PING,	/**< one frame in flight, measure round trips */
	PKTCHECK_MODE_PONG,	/**< send every received frame back */
};

enum pktcheck_size_mode {
	PKTCHECK_SIZES_LIST,	/**< sizes[seq % nb_sizes]; one entry = fixed size */
	PKTCHECK_SIZES_RANDOM,	/**< uniform in [sizes[0], sizes[1]], seeded */
};

enum pktcheck_on_full {
	PKTCHECK_FULL_RETRY,	/**< keep refused frames and offer them again */
	PKTCHECK_FULL_DROP,	/**< free refused frames; their numbers are reused */
};

struct pktcheck_options {
	enum pktcheck_mode mode;
	uint16_t tx_port;
	uint16_t rx_port;
	uint16_t nb_queues;
	uint16_t burst;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint16_t sender_id;		/**< high part of the stream ids we send */
	uint16_t expect_streams;	/**< FINs the receiver waits for */
	uint64_t frames;		/**< total over all queues; 0 with duration */
	double duration;		/**< seconds of TX, 0 = use frames */
	double timeout;			/**< give up after this many seconds */
	double link_timeout;		/**< wait this long for link up before TX */
	double linger;			/**< keep the port open after done */
	double start_delay;		/**< wait after link up before sending */
	double progress;		/**< seconds between progress lines, 0 = off */
	enum pktcheck_size_mode size_mode;
	uint32_t sizes[PKTCHECK_MAX_SIZES];
	uint16_t nb_sizes;
	uint64_t seed;
	uint32_t seg_size;		/**< 0 = mbuf data room */
	uint32_t nb_mbufs;
	bool tx_pool;			/**< mbufs from the ivshmem2 port's section: zero-copy TX */
	uint32_t mtu;			/**< 0 = from the largest size */
	enum pktcheck_on_full on_full;
	bool allow_loss;		/**< losses are counted but not an error */
	uint32_t window;		/**< mode both: data frames in flight at most, 0 = off */
	double rate;			/**< mode ping: frames/s sent open-loop, 0 = one in flight */
	struct rte_ether_addr dst_mac;
	uint64_t inject_every;		/**< test hook: fault every N-th frame, 0 = off */
	int inject_kind;		/**< PKTCHECK_INJECT_* */
};

enum {
	PKTCHECK_INJECT_NONE,
	PKTCHECK_INJECT_CORRUPT,	/**< flip a payload byte after the CRC */
	PKTCHECK_INJECT_DUP,		/**< send a frame twice */
	PKTCHECK_INJECT_SKIP,		/**< skip a sequence number (a loss) */
	PKTCHECK_INJECT_SWAP,		/**< swap two frames (a reorder) */
};

/**
 * Parse the application arguments (after EAL's).
 *
 * @return 0, or -1 after printing a one-line error.
 */
int pktcheck_options_parse(struct pktcheck_options *opt, int argc, char **argv);

const char *pktcheck_mode_name(enum pktcheck_mode mode);

/** Frame size of data frame @seq of @stream under the size plan. */
uint32_t pktcheck_size_for(const struct pktcheck_options *opt, uint16_t stream, uint64_t seq);

/** Largest frame the size plan can produce. */
uint32_t pktcheck_max_size(const struct pktcheck_options *opt);

#endif /* _PKTCHECK_OPTIONS_H_ */
