// The app's pin storage objects (`PinStore.withStorage`), kept on the JS
// side: the core's store takes storage it could send between threads, which
// a JS object is not, so the wasm holds a slot number and calls these. Pins
// cross as one comma-separated string (they are hex), which needs no array
// glue in the package. A `load` or `save` that throws counts as no pins or
// not saved: storage in C or uniffi has no error to give either.
const storages = [];

export function pinStorageAdd(storage) {
  let slot = storages.indexOf(undefined);
  if (slot < 0) slot = storages.length;
  storages[slot] = storage;
  return slot;
}

export function pinStorageLoad(slot, key) {
  try {
    return storages[slot].load(key).join();
  } catch {
    return "";
  }
}

export function pinStorageSave(slot, key, pins) {
  try {
    storages[slot].save(key, pins ? pins.split(",") : []);
  } catch {}
}

export function pinStorageFree(slot) {
  storages[slot] = undefined;
}
