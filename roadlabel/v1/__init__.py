"""Generated protobuf and gRPC code for roadlabel.v1 (do not edit; see proto/)."""
