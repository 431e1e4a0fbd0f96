import { OrderNotFoundError, type Order, type OrderStore } from "./order.ts";

/** Orders kept in memory: for a service without a database, and for tests. */
export class MemoryOrderStore implements OrderStore {
  readonly #orders = new Map<string, Order>();

  create(order: Order): Promise<void> {
    this.#orders.set(order.id, order);
    return Promise.resolve();
  }

  get(id: string): Promise<Order> {
    const order = this.#orders.get(id);
    return order === undefined
      ? Promise.reject(new OrderNotFoundError(id))
      : Promise.resolve(order);
  }
}
