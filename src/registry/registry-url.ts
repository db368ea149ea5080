/** A registry URL as it may be printed or logged: `redis://user:***@host:6379`, its password masked. */
export function maskRegistryUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
