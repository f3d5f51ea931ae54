namespace Agentic.Rl.Checkpoints;

/// <summary>A checkpoint folder is missing, incomplete, truncated, corrupt or does not match the model.</summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public CheckpointException(string message, Exception innerException) : base(message, innerException) { }
}
