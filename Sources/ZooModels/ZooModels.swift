/// ZooModels — see README.md and ../shared/DESIGN.md for its role in the data flow.
enum ZooModelsModule {}
