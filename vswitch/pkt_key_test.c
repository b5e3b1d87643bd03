/* Unit tests of packet key extraction: untagged, tagged, runts (bad-input.md 12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "pkt_key.h"

static const uint8_t untagged[] = {
	0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0,
};
static const uint8_t tagged[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,	0, 0,
	0,    1,    0x81, 0x00, 0xa0, 0x64, 0x08, 0x06, 0, 1,
};

static void
test_untagged_frame_gives_macs_and_ethertype(void **state)
{
	struct vsw_pkt_key key;

	(void)state;
	assert_int_equal(vsw_pkt_key_extract(untagged, sizeof(untagged), &key), 0);
	assert_memory_equal(key.dst, untagged, 6);
	assert_memory_equal(key.src, untagged + 6, 6);
	assert_false(key.tagged);
	assert_int_equal(key.tci, 0);
	assert_int_equal(key.ethertype, 0x0800);
	assert_int_equal(key.l3_ofs, 14);
	assert_false(vsw_mac_is_group(key.dst));
}

static void
test_tagged_frame_gives_tci_and_inner_ethertype(void **state)
{
	struct vsw_pkt_key key;

	(void)state;
	assert_int_equal(vsw_pkt_key_extract(tagged, sizeof(tagged), &key), 0);
	assert_true(key.tagged);
	assert_int_equal(key.tci, 0xa064);
	assert_int_equal(vsw_pkt_key_vid(&key), 100);
	assert_int_equal(key.ethertype, 0x0806);
	assert_int_equal(key.l3_ofs, 18);
	assert_true(vsw_mac_is_group(key.dst));
}

static void
test_runt_frames_are_refused_at_every_length(void **state)
{
	struct vsw_pkt_key key;
	uint32_t len;

	(void)state;
	for (len = 0; len < 14; len++)
		assert_int_equal(vsw_pkt_key_extract(untagged, len, &key), -EINVAL);
	/* A tag announced but cut short. */
	for (len = 14; len < 18; len++)
		assert_int_equal(vsw_pkt_key_extract(tagged, len, &key), -EINVAL);
	assert_int_equal(vsw_pkt_key_extract(untagged, 14, &key), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untagged_frame_gives_macs_and_ethertype),
		cmocka_unit_test(test_tagged_frame_gives_tci_and_inner_ethertype),
		cmocka_unit_test(test_runt_frames_are_refused_at_every_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
