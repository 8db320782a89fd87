
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "CancelSegmentJobResult": [
      "BaseError",
      "CancelSegmentJobSuccess",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ],
    "CreateSegmentJobResult": [
      "BaseError",
      "CreateSegmentJobSuccess",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ],
    "Error": [
      "BaseError",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CancelSegmentJobResult": [
      "BaseError",
      "CancelSegmentJobSuccess",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ],
    "CreateSegmentJobResult": [
      "BaseError",
      "CreateSegmentJobSuccess",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ],
    "Error": [
      "BaseError",
      "NotFoundError",
      "RateLimitedError",
      "UpstreamError",
      "ValidationError"
    ]
  }
};
      export default result;
    