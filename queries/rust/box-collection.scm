; rust/box-collection: a box around a standard collection, `Box<Vec<T>>`, `Box<String>`,
; `std::boxed::Box<HashMap<K, V>>` …, with exactly one type argument. The rule then checks the
; shape (`String` bare, the others generic) and where the type stands.
((generic_type
   type: [(type_identifier) (scoped_type_identifier)] @box
   type_arguments: (type_arguments
     .
     [(generic_type type: [(type_identifier) (scoped_type_identifier)] @collection)
      (type_identifier) @collection
      (scoped_type_identifier) @collection] @inner
     .)) @outer
 (#match? @box "(^|::)Box$")
 (#match? @collection "(^|::)(Vec|String|HashMap|HashSet|BTreeMap|BTreeSet|VecDeque|LinkedList|BinaryHeap)$"))
