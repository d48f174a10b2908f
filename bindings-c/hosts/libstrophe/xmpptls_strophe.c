/* See xmpptls_strophe.h. */
#include "xmpptls_strophe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XTLS_NS "urn:xmpp:tmp:xtls"

struct xmpptls_strophe {
  xmpp_conn_t *conn;
  xmpptls_endpoint *ep;
  xmpptls_strophe_event_cb cb;
  void *userdata;
};

static void deliver_events(xmpptls_strophe *h) {
  xmpptls_event *ev = NULL;
  while (xmpptls_endpoint_poll_event(h->ep, &ev) == XMPPTLS_OK) {
    if (h->cb) h->cb(h->ep, ev, h->userdata);
    xmpptls_event_free(ev);
  }
}

void xmpptls_strophe_flush(xmpptls_strophe *h) {
  const char *data = NULL;
  size_t len = 0;
  deliver_events(h);
  if (xmpptls_endpoint_poll_write(h->ep, &data, &len) == XMPPTLS_OK) xmpp_send_raw(h->conn, data, len);
}

/* An IQ for the endpoint: a request whose child is in the XTLS namespace,
 * or an answer in its id space. */
static int is_xtls(xmpp_stanza_t *iq) {
  const char *type = xmpp_stanza_get_type(iq);
  if (!type) return 0;
  if (!strcmp(type, "set") || !strcmp(type, "get")) {
    xmpp_stanza_t *child = xmpp_stanza_get_children(iq);
    while (child && !xmpp_stanza_get_name(child)) child = xmpp_stanza_get_next(child); /* skip text */
    const char *ns = child ? xmpp_stanza_get_ns(child) : NULL;
    return ns && !strcmp(ns, XTLS_NS);
  }
  const char *id = xmpp_stanza_get_id(iq);
  return id && !strncmp(id, "xtls-", 5);
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata) {
  xmpptls_strophe *h = userdata;
  (void)conn;
  if (!is_xtls(stanza)) return 1;
  char *text = NULL;
  size_t len = 0;
  if (xmpp_stanza_to_text(stanza, &text, &len) == XMPP_EOK) {
    int handled = 0;
    /* A refused stanza has been answered by the endpoint, and a tunnel it
     * broke is closed with an event: nothing more to do here. */
    (void)xmpptls_endpoint_handle_incoming(h->ep, text, len, (uint64_t)time(NULL), &handled);
    xmpp_free(xmpp_conn_get_context(h->conn), text);
  }
  xmpptls_strophe_flush(h);
  return 1;
}

static int on_tick(xmpp_conn_t *conn, void *userdata) {
  xmpptls_strophe *h = userdata;
  uint64_t deadline = 0, now = (uint64_t)time(NULL);
  (void)conn;
  if (xmpptls_endpoint_poll_timeout(h->ep, &deadline) == XMPPTLS_OK && deadline <= now) {
    xmpptls_endpoint_handle_timeout(h->ep, now);
    xmpptls_strophe_flush(h);
  }
  return 1;
}

xmpptls_strophe *xmpptls_strophe_attach(xmpp_conn_t *conn, xmpptls_endpoint *ep,
                                        xmpptls_strophe_event_cb cb, void *userdata) {
  xmpptls_strophe *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->conn = conn;
  h->ep = ep;
  h->cb = cb;
  h->userdata = userdata;
  xmpp_handler_add(conn, on_iq, NULL, "iq", NULL, h);
  xmpp_timed_handler_add(conn, on_tick, 1000, h);
  return h;
}

void xmpptls_strophe_detach(xmpptls_strophe *h) {
  if (!h) return;
  xmpp_handler_delete(h->conn, on_iq);
  xmpp_timed_handler_delete(h->conn, on_tick);
  free(h);
}
