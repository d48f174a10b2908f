/*
 * A libxmpptls endpoint hosted on a libstrophe connection: the README's
 * hosting rules in one small add-on, so a libstrophe application only
 * opens tunnels, sends stanzas and handles events.
 *
 * Build it into the application:
 *   cc app.c xmpptls_strophe.c $(pkg-config --cflags --libs libstrophe xmpptls)
 *
 * What it does for the host:
 *   - every XTLS IQ (an IQ-set or get whose child is in urn:xmpp:tmp:xtls,
 *     a result or error whose id starts with "xtls-") goes to the endpoint
 *     as text (xmpp_stanza_to_text), before the application sees it;
 *   - after each such stanza and after xmpptls_strophe_flush, everything
 *     the endpoint has to send goes out in one xmpp_send_raw
 *     (xmpptls_endpoint_poll_write: data IQs, acknowledgements behind the
 *     data, and the whitespace keepalive when one is due);
 *   - a timer once a second calls xmpptls_endpoint_handle_timeout when a
 *     deadline has passed (the endpoint's clock has whole seconds);
 *   - each event is passed to the application's callback, which must not
 *     free it (the add-on frees it after the callback returns).
 *
 * Before xmpp_disconnect: close the tunnels and wait for their CLOSED
 * events (or xmpptls_strophe_detach and accept that the peers time out).
 */
#ifndef XMPPTLS_STROPHE_H
#define XMPPTLS_STROPHE_H

#include <strophe.h>
#include <xmpptls.h>

/* Called with every event of the endpoint; `ev` is freed after it returns. */
typedef void (*xmpptls_strophe_event_cb)(xmpptls_endpoint *ep, const xmpptls_event *ev, void *userdata);

typedef struct xmpptls_strophe xmpptls_strophe;

/* Hosts `ep` (made for the connection's bound JID) on `conn`, once it is
 * connected. The endpoint stays the caller's to free, after detaching.
 * NULL when out of memory. */
xmpptls_strophe *xmpptls_strophe_attach(xmpp_conn_t *conn, xmpptls_endpoint *ep,
                                        xmpptls_strophe_event_cb cb, void *userdata);

/* Writes what the endpoint has to send in one write: call it after
 * xmpptls_endpoint_open, _send and _close. */
void xmpptls_strophe_flush(xmpptls_strophe *h);

/* Removes the handlers and frees the add-on (not the endpoint). */
void xmpptls_strophe_detach(xmpptls_strophe *h);

#endif
