using System.Runtime.InteropServices;

namespace Agentic.Cli.Commands;

/// <summary>
/// Turns the first Ctrl+C (SIGINT) or SIGTERM into a cancellation request that long jobs observe between steps, so
/// they can finish the step and write the last good checkpoint; a second Ctrl+C ends the process at once.
/// </summary>
internal sealed class GracefulCancellation : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration? _sigterm;
    private int _requests;

    public GracefulCancellation(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                _source.Cancel();
            });
        }
    }

    public CancellationToken Token => _source.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            e.Cancel = true;
            Console.Error.WriteLine("Stopping after the current step (press Ctrl+C again to abort without saving)...");
            _source.Cancel();
        }
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
        _source.Dispose();
    }
}
