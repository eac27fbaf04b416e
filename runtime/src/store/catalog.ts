/**
 * The compiler's view of an image store on disk (`ImageCatalog`): the platforms of an image, for
 * FROM checks in `lint` and the editor, and whether it is an OS image (a stage FROM it runs RUN
 * chrooted). Reading never creates a store where there is none.
 */
import type { ImageCatalog } from '@kubefile/compiler';
import { platformImages } from '../image/image.js';
import { hasStore, ImageStore } from './store.js';

// With the catalogue, as `@kubefile/runtime/catalog`: lint reads the store through this module alone.
export { defaultStoreRoot } from './store.js';

/** A catalogue of the store at `root`; an image it cannot read, or a missing store, has no platforms to tell. */
export function storeImageCatalog(root: string): ImageCatalog {
  let store: Promise<ImageStore | undefined> | undefined;
  const open = () => (store ??= hasStore(root) ? ImageStore.open(root).catch(() => undefined) : Promise.resolve(undefined));
  // Telling the kind reads the layers' listings: once per image.
  const kinds = new Map<string, Promise<'cluster' | 'os' | undefined>>();
  const kindOf = async (name: string): Promise<'cluster' | 'os' | undefined> => {
    try {
      const opened = await open();
      const image = await opened?.findImage(name);
      if (!opened || !image) return undefined;
      // Its variants are builds of one Kubefile: the first tells.
      const [first] = await platformImages(opened, image.descriptor);
      if (!first) return undefined;
      // Loaded only for an image in the store: it reads layers (tar, execa ...), ~40 ms of a lint that
      // needs none. By the package's name, so a bundle holding this catalogue can leave it outside.
      const { imageKind } = await import('@kubefile/runtime/cluster-spec');
      return await imageKind(opened, first, name);
    } catch {
      return undefined;
    }
  };
  return {
    kind(name) {
      let found = kinds.get(name);
      if (!found) {
        found = kindOf(name);
        kinds.set(name, found);
      }
      return found;
    },
    async platforms(name) {
      try {
        const opened = await open();
        const image = await opened?.findImage(name);
        return opened && image ? (await platformImages(opened, image.descriptor)).map((p) => p.key) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
