/*
 * test_server.h - what the unit tests' in-process libmicrohttpd servers
 * share: a request body gathered over the handler's calls, freed when the
 * request completes, and a reply with a list of headers.
 *
 * A handler starts with `if (upload_gather(con_cls, data, size, &ret))
 * return ret;` and then finds the whole body, NUL-terminated and cut at
 * 4 KiB, in ((struct upload *)*con_cls)->body. The daemon is started with
 * MHD_OPTION_NOTIFY_COMPLETED, upload_done.
 */
#ifndef GCU_TEST_SERVER_H
#define GCU_TEST_SERVER_H

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

struct upload {
	char body[4096];
	size_t len;
};

/* Gathers the request body into *con_cls. Returns 1 with *ret set while
 * the request is still arriving (the handler returns *ret), 0 once the
 * body is whole. */
static inline int upload_gather(void **con_cls, const char *data, size_t *size,
                                enum MHD_Result *ret)
{
	struct upload *u = *con_cls;

	*ret = MHD_YES;
	if (u == NULL) {
		if ((u = calloc(1, sizeof *u)) == NULL)
			*ret = MHD_NO;
		*con_cls = u;
		return 1;
	}
	if (*size > 0) {
		size_t n = *size;
		if (n > sizeof u->body - 1 - u->len)
			n = sizeof u->body - 1 - u->len;
		memcpy(u->body + u->len, data, n);
		u->len += n;
		*size = 0;
		return 1;
	}
	u->body[u->len] = '\0';
	return 0;
}

/* MHD_OPTION_NOTIFY_COMPLETED: frees what upload_gather kept. */
static inline void upload_done(void *cls, struct MHD_Connection *c, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* Queues body with status and headers (name, value, ..., NULL; or NULL). */
static inline enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                                    const char *const *headers)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	for (; headers != NULL && headers[0] != NULL; headers += 2)
		MHD_add_response_header(r, headers[0], headers[1]);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#endif
