package io.sparkexec.journal;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/** Events to and from bytes with Pekko serialization, so whatever the bindings say round-trips. */
final class Payloads {

  record Serialized(int serializerId, String manifest, byte[] bytes) {}

  private final Serialization serialization;

  Payloads(ActorSystem system) {
    this.serialization = SerializationExtension.get(system);
  }

  Serialized serialize(Object event) {
    Serializer serializer = serialization.findSerializerFor(event);
    return new Serialized(serializer.identifier(), Serializers.manifestFor(serializer, event), serializer.toBinary(event));
  }

  Object deserialize(StoredEvent event) {
    return serialization.deserialize(event.payload(), event.serializerId(), event.serializerManifest()).get();
  }
}
