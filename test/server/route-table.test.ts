/** RouteTable.allowedMethods: what a 405's `Allow` header lists, for exact and wildcard routes. */
import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../src/server/route-table.js';

function table(): RouteTable {
  const routes = new RouteTable();
  routes.replace([
    { name: 'sum', routes: [{ method: 'GET', path: '/sum' }] },
    { name: 'add', routes: [{ method: 'POST', path: '/sum/' }] },
    { name: 'items', routes: [{ method: 'PUT', path: '/api/items/*' }] },
    { name: 'all', routes: [{ method: 'ANY', path: '/any' }] },
  ]);
  return routes;
}

describe('RouteTable.allowedMethods', () => {
  it('lists the methods of every route with the path, HEAD with GET, in a fixed order', () => {
    expect(table().allowedMethods('/sum')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table().allowedMethods('/sum/')).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('counts a wildcard route for its prefix and what is below it', () => {
    expect(table().allowedMethods('/api/items')).toEqual(['PUT']);
    expect(table().allowedMethods('/api/items/7')).toEqual(['PUT']);
    expect(table().allowedMethods('/api/itemsx')).toEqual([]);
  });

  it('is empty for a path no route has (404), and after the table is replaced', () => {
    const routes = table();
    expect(routes.allowedMethods('/nothing')).toEqual([]);
    routes.replace([]);
    expect(routes.allowedMethods('/sum')).toEqual([]);
  });

  it('never lists ANY: such a route matches every method, so no 405 is answered for its path', () => {
    const routes = table();
    expect(routes.match('DELETE', '/any')?.name).toBe('all');
  });
});
