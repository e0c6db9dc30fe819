"""Rail (seed 001): the network (stations, trains, routes), coaches and layouts, fares, trips and
train search. Each module owns its transactions and writes staff changes to the audit log."""
