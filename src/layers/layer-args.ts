/**
 * The arguments every tfjs layer takes (`name`, `trainable`, `inputShape`,
 * ...), which each layer's own args interface extends.
 */
import type { tf } from '../tf.js';

export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
