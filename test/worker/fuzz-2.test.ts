// Fuzzing, second half of the route table (see fuzz.ts).
import { fuzzRoutes, ROUTE_COUNT } from "./fuzz";

fuzzRoutes("part 2", (i) => i >= Math.ceil(ROUTE_COUNT / 2));
