/*
 * Does this PEM certificate name an XMPP domain, and how does a connection
 * negotiated with it grade under the strict policy (RFC 7590)?
 *
 *   cc check_cert.c $(pkg-config --cflags --libs xmpptls) -o check_cert
 *   ./check_cert server.pem example.net
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <xmpptls.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s CERT.pem DOMAIN\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  static char pem[1 << 16];
  size_t len = fread(pem, 1, sizeof pem, f);
  fclose(f);

  uint32_t matched = 0;
  xmpptls_result r = xmpptls_check_identity_pem(pem, len, argv[2], XMPPTLS_SERVICE_CLIENT, 0, &matched);
  if (r != XMPPTLS_OK) {
    char msg[256];
    size_t n;
    xmpptls_result_message(r, msg, sizeof msg, &n);
    fprintf(stderr, "%s: %s\n", argv[1], msg);
    return 2;
  }
  const char *kinds[] = {"nothing", "a DNS-ID", "a wildcard DNS-ID", "an SRV-ID", "an XmppAddr", "the CN"};
  printf("%s names %s for xmpp-client by %s\n", argv[1], argv[2], kinds[matched <= 5 ? matched : 0]);

  /* What a TLS 1.2 connection with this certificate and ECDHE-RSA-AES128-GCM
   * would be graded, as an OpenSSL client would describe it. */
  xmpptls_negotiated n = {0};
  n.encrypted = 1;
  n.version = 0x0303;
  n.suite = 0xc02f;
  n.extended_master_secret = 1;
  n.authentication = matched ? XMPPTLS_AUTH_PKIX : XMPPTLS_AUTH_NONE;
  xmpptls_report *report;
  if (xmpptls_evaluate(XMPPTLS_POLICY_STRICT, argv[2], &n, &report) != XMPPTLS_OK) return 2;
  size_t jlen, w;
  xmpptls_report_json_len(report, &jlen);
  char *json = malloc(jlen + 1);
  xmpptls_report_json(report, json, jlen + 1, &w);
  const char *verdicts[] = {"pass", "warn", "fail"};
  printf("verdict: %s\n%s\n", verdicts[xmpptls_report_verdict(report)], json);
  free(json);
  xmpptls_report_free(report);
  return matched ? 0 : 1;
}
