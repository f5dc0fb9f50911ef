/*
 * The Nitro Secure Module: asking it for an attestation document.
 *
 * The request and response are CBOR (encoded and decoded with libcbor);
 * only the last step depends on what the device path is: a character
 * device gets the Linux driver's ioctl, a unix socket (the test seam, see
 * docs/ATTESTATION.md) gets the same bytes framed by a 4-byte big-endian
 * length each way.
 */
#ifndef PIPELINE_NSM_H
#define PIPELINE_NSM_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define PL_NSM_DEFAULT_DEVICE "/dev/nsm"
/* The driver's limits (linux/nsm.h: NSM_REQUEST_MAX_SIZE 0x1000,
 * NSM_RESPONSE_MAX_SIZE 0x3000). */
#define PL_NSM_MAX_REQUEST 4096
#define PL_NSM_MAX_RESPONSE (12 * 1024)

/* Asks the NSM at device for a document binding public_key. On success
 * *doc is malloc'd (free()) and *doc_len its length. */
int pl_nsm_attest(const char *device, const uint8_t *public_key, size_t key_len,
                  uint8_t **doc, size_t *doc_len, pl_error *err);

/* The CBOR steps, separate so unit tests can check them without a device.
 * Encodes {"Attestation": {"public_key": bstr, "user_data": null,
 * "nonce": null}} into buf; *out is its length. */
int pl_nsm_encode_attestation(const uint8_t *public_key, size_t key_len,
                              uint8_t *buf, size_t cap, size_t *out,
                              pl_error *err);
/* Decodes {"Attestation": {"document": bstr}} (or {"Error": text}, which
 * becomes the error) and copies the document out (malloc'd). */
int pl_nsm_decode_attestation(const uint8_t *buf, size_t len, uint8_t **doc,
                              size_t *doc_len, pl_error *err);

#endif
