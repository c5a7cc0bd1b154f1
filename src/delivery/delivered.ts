// What counts as delivered: a 2xx answer within the deadline (the seeds: "must respond with a
// HTTP 200 OK status code within 2 seconds"; any 2xx is accepted). Everything else is a failed
// attempt, with a reason a person can act on.
export function isDelivered(status: number): boolean {
  return status >= 200 && status < 300;
}

export function whyNotDelivered(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed; point the webhook at the final URL`;
  return `HTTP ${status}: only a 2xx answer counts as delivered`;
}
