import { ItemNotFoundError, type Item, type ItemStore } from "./item.ts";

/** Items kept in memory: for a service without a database, and for tests. */
export class MemoryItemStore implements ItemStore {
  readonly #items = new Map<string, Item>();

  create(item: Item): Promise<void> {
    this.#items.set(item.id, item);
    return Promise.resolve();
  }

  get(id: string): Promise<Item> {
    const item = this.#items.get(id);
    return item === undefined
      ? Promise.reject(new ItemNotFoundError(id))
      : Promise.resolve(item);
  }
}
