/*
 * Two libstrophe clients (a real C XMPP client) through a real server
 * (Prosody or ejabberd, started by scripts/test-hosts.sh), each hosting a
 * libxmpptls endpoint with the add-on in bindings-c/hosts/libstrophe: a
 * opens a tunnel to b, sends a message and a 40,000-octet stanza (several
 * data IQs), b answers through the tunnel, a closes, both see CLOSED.
 *
 *   test_strophe HOST PORT DOMAIN CAFILE LABEL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmpptls_strophe.h"

struct client {
  const char *name;
  xmpp_conn_t *conn;
  xmpptls_endpoint *ep;
  xmpptls_strophe *host;
  char jid[256];
  int connected, established, stanzas, big, answered, closed;
};

static struct client a = {.name = "a"}, b = {.name = "b"};
static int failed;
static xmpp_ctx_t *ctx;

static void on_event(xmpptls_endpoint *ep, const xmpptls_event *ev, void *userdata) {
  struct client *c = userdata;
  const char *text = NULL;
  size_t len = 0;
  switch (xmpptls_event_kind(ev)) {
  case XMPPTLS_EVENT_ESTABLISHED:
    c->established++;
    break;
  case XMPPTLS_EVENT_STANZA:
    if (xmpptls_event_text_ptr(ev, &text, &len) != XMPPTLS_OK) break;
    c->stanzas++;
    if (len > 40000) c->big++;
    if (c == &b && memmem(text, len, "<body>hello</body>", 18)) {
      const char *reply = "<message><body>hi back</body></message>";
      if (xmpptls_endpoint_send(ep, a.jid, reply, strlen(reply), (uint64_t)time(NULL)) != XMPPTLS_OK) failed++;
      xmpptls_strophe_flush(c->host);
    }
    if (c == &a && memmem(text, len, "hi back", 7)) {
      c->answered++;
      if (xmpptls_endpoint_close(ep, b.jid, (uint64_t)time(NULL)) != XMPPTLS_OK) failed++;
      xmpptls_strophe_flush(c->host);
    }
    break;
  case XMPPTLS_EVENT_CLOSED:
    c->closed++;
    if (xmpptls_event_close_reason(ev) != XMPPTLS_CLOSE_LOCAL &&
        xmpptls_event_close_reason(ev) != XMPPTLS_CLOSE_PEER) {
      fprintf(stderr, "%s: tunnel closed with reason %u\n", c->name, xmpptls_event_close_reason(ev));
      failed++;
    }
    break;
  default:
    break;
  }
}

static void start_tunnel(void) {
  uint64_t now = (uint64_t)time(NULL);
  if (xmpptls_endpoint_open(a.ep, b.jid, now) != XMPPTLS_OK) failed++;
  const char *hello = "<message><body>hello</body></message>";
  if (xmpptls_endpoint_send(a.ep, b.jid, hello, strlen(hello), now) != XMPPTLS_OK) failed++;
  size_t n = 40100;
  char *big = malloc(n + 64);
  int k = snprintf(big, 64, "<message><body>");
  memset(big + k, 'x', n - (size_t)k);
  strcpy(big + n, "</body></message>");
  if (xmpptls_endpoint_send(a.ep, b.jid, big, strlen(big), now) != XMPPTLS_OK) failed++;
  free(big);
  xmpptls_strophe_flush(a.host);
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t status, int error, xmpp_stream_error_t *se, void *userdata) {
  struct client *c = userdata;
  (void)error;
  (void)se;
  if (status != XMPP_CONN_CONNECT) {
    if (!c->closed) {
      fprintf(stderr, "%s: disconnected (%d)\n", c->name, error);
      failed++;
    }
    return;
  }
  snprintf(c->jid, sizeof c->jid, "%s", xmpp_conn_get_bound_jid(conn));
  if (xmpptls_endpoint_new(c->jid, XMPPTLS_TRUST_OFFER, &c->ep) != XMPPTLS_OK) {
    failed++;
    return;
  }
  c->host = xmpptls_strophe_attach(conn, c->ep, on_event, c);
  /* The server's presence needs no answer; one space for the keepalive. */
  xmpp_send_raw(conn, " ", 1);
  c->connected = 1;
  if (a.connected && b.connected) start_tunnel();
}

static void connect_client(struct client *c, const char *host, unsigned short port, const char *domain,
                           const char *cafile) {
  char jid[256], pass[64];
  snprintf(jid, sizeof jid, "%s@%s/%s", c->name, domain, c->name);
  snprintf(pass, sizeof pass, "secret-%s", c->name);
  c->conn = xmpp_conn_new(ctx);
  xmpp_conn_set_jid(c->conn, jid);
  xmpp_conn_set_pass(c->conn, pass);
  xmpp_conn_set_cafile(c->conn, cafile);
  if (xmpp_connect_client(c->conn, host, port, on_conn, c) != XMPP_EOK) failed++;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s HOST PORT DOMAIN CAFILE LABEL\n", argv[0]);
    return 2;
  }
  const char *label = argv[5];
  xmpp_initialize();
  ctx = xmpp_ctx_new(NULL, NULL);
  connect_client(&a, argv[1], (unsigned short)atoi(argv[2]), argv[3], argv[4]);
  connect_client(&b, argv[1], (unsigned short)atoi(argv[2]), argv[3], argv[4]);
  time_t end = time(NULL) + 60;
  while (time(NULL) < end && !(a.closed && b.closed) && !failed) xmpp_run_once(ctx, 50);
  int ok_tunnel = a.established == 1 && b.established == 1;
  int ok_stanzas = b.stanzas == 2 && b.big == 1 && a.answered == 1;
  int ok_closed = a.closed == 1 && b.closed == 1;
  printf("%s - libstrophe %s: tunnel established on both sides\n", ok_tunnel ? "ok" : "not ok", label);
  printf("%s - libstrophe %s: a message and a 40 KB stanza through, and the answer back\n",
         ok_stanzas ? "ok" : "not ok", label);
  printf("%s - libstrophe %s: closed on both sides\n", ok_closed && !failed ? "ok" : "not ok", label);
  int passed = ok_tunnel + ok_stanzas + (ok_closed && !failed);
  for (struct client *c = &a; c; c = c == &a ? &b : NULL) {
    xmpptls_strophe_detach(c->host);
    if (c->conn) {
      xmpp_disconnect(c->conn);
    }
  }
  for (int i = 0; i < 20; i++) xmpp_run_once(ctx, 10);
  xmpp_conn_release(a.conn);
  xmpp_conn_release(b.conn);
  xmpptls_endpoint_free(a.ep);
  xmpptls_endpoint_free(b.ep);
  xmpp_ctx_free(ctx);
  xmpp_shutdown();
  printf("%d passed, %d failed\n", passed, 3 - passed);
  return passed == 3 ? 0 : 1;
}
