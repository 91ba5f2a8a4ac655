// SPDX-License-Identifier: MIT
/*
 * fuzz_cni.c - the CNI conflist update of mesh/host/cni.h on any JSON the file may hold.
 *
 * Promises checked: a rejection says why; an accepted conflist takes the pod CIDR so that a
 * second update finds nothing to change, and its first "ipam" plugin then names the CIDR.
 */
#include <errno.h>

#include "fuzz.h"
#include "mesh/host/cni.h"

/* ranges[0][0].subnet of the first plugin with an "ipam" section, or NULL. */
static const char *first_subnet(const json_t *conflist)
{
	const json_t *plugin, *ipam = NULL;
	size_t i;

	json_array_foreach (json_object_get(conflist, "plugins"), i, plugin) {
		ipam = json_object_get(plugin, "ipam");
		if (ipam)
			break;
	}
	return json_string_value(json_object_get(
	    json_array_get(json_array_get(json_object_get(ipam, "ranges"), 0), 0), "subnet"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *conflist = json_loadb((const char *)data, size, 0, NULL);
	struct mesh_prefix pod_cidr;
	char err[256] = "";
	bool changed;
	int ret;

	if (!conflist)
		return 0;
	FUZZ_CHECK(mesh_prefix_parse("10.2.4.0/24", &pod_cidr) == 0);
	ret = mesh_cni_update(conflist, &pod_cidr, 1, &changed, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		FUZZ_CHECK(ret == -ENOMEM || err[0] != '\0');
	} else {
		FUZZ_CHECK(mesh_cni_update(conflist, &pod_cidr, 1, &changed, err, sizeof(err)) ==
		           0);
		FUZZ_CHECK(!changed);
		FUZZ_CHECK(first_subnet(conflist) &&
		           !strcmp(first_subnet(conflist), "10.2.4.0/24"));
	}
	json_decref(conflist);
	return 0;
}
